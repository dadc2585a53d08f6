"""Small helpers shared by the command-line tools."""
import argparse
import contextlib
import os
import warnings

from mmengine.config import DictAction

from .functional import AUTOCAST_DTYPES


@contextlib.contextmanager
def quiet_imports():
    """Silence import-time ``FutureWarning``s of third-party packages
    (transformers, imported by mmengine's optim, warns about a torch API),
    which would otherwise open every tool's output."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        yield


def int_list(text: str) -> list:
    """``'0,22,39'`` -> ``[0, 22, 39]`` (an argparse ``type``)."""
    try:
        return [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected comma-separated integers, got {text!r}') from None


def add_speed_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags for :meth:`mmcm.models.unets.Accelerable.accelerate`."""
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


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The positional ``config`` and ``checkpoint`` of the sampling tools."""
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint',
                        help='official .pt or mmengine checkpoint, path/URL')


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--launcher`` and ``--local-rank`` of the tools
    that run an mmengine runner (see :func:`parse_runner_arguments`)."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_arguments(parser: argparse.ArgumentParser,
                           argv=None) -> argparse.Namespace:
    """Parse, and give torch's launcher the local rank it was handed."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args
