"""Small argument parsers shared by the command-line tools."""
import argparse


def int_list(text: str) -> list:
    """``'0,22,39'`` -> ``[0, 22, 39]`` (an argparse ``type``)."""
    try:
        return [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected comma-separated integers, got {text!r}') from None


def add_speed_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags for :meth:`mmcm.models.unets.Accelerable.accelerate`."""
    from mmcm.models.unets import AUTOCAST_DTYPES
    group = parser.add_argument_group('sampling speed options')
    group.add_argument('--channels-last', action='store_true',
                       help='NHWC weights and activations')
    group.add_argument('--autocast', choices=sorted(AUTOCAST_DTYPES),
                       help='mixed precision with float32 weights')
    group.add_argument('--compile', action='store_true',
                       help='torch.compile the network (first call slow)')
    group.add_argument('--cuda-graphs', action='store_true',
                       help='compile and replay CUDA graphs (GPU only)')
    group.add_argument('--winograd', action='store_true',
                       help='Winograd 3x3 convolutions (CPU float32)')


def speed_options(args: argparse.Namespace) -> dict:
    """The ``accelerate`` keywords of parsed :func:`add_speed_arguments`."""
    return dict(channels_last=args.channels_last, autocast=args.autocast,
                compile=args.compile, cuda_graphs=args.cuda_graphs,
                winograd=args.winograd)
