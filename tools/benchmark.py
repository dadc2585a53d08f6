"""Measure sampling and training speed: images per second and peak memory.

Runs one-step and multistep sampling (or the samplers given) of a config's
model at a batch size, dtype and device, after warm-up. With
``--compare diffusers`` every measurement is repeated, in the same process
and on the same weights and inputs, with diffusers' ``UNet2DModel`` in
place of the ADM UNet (sampling calls of the two take turns, so a drifting
machine speed hits both alike), and the mmcm / diffusers ratios are
printed. With
``--train ct cd`` it also times a CT / CD training step (forward, backward,
optimizer, target and EMA updates) with each ``--distances`` entry (l2,
lpips; LPIPS with an untrained VGG trunk: same compute as the real one).
With ``--train sct meanflow`` it times an sCT step (TrigFlow, exact JVP)
and a MeanFlow step on the same network, each three ways: mmcm's default
(a JVP pass without a graph through the blockwise forward-mode attention
rule, then the graded forward pass), ``math-attention`` (the JVP through
SDPA's math backend, an ``L x L`` matrix per head) and ``single-pass``
(the prediction from the JVP's own pass, dual numbers under grad mode);
with ``ct`` beside them the targets compare each default with the CT
step.
The sampling speed options (--channels-last, --autocast, --compile,
--cuda-graphs) apply to both implementations alike; --winograd is mmcm's
own convolution path (diffusers has none), so diffusers keeps PyTorch's.
Prints the environment, a table (one-step rows with the achieved TFLOP/s),
the targets of ``mmcm.analysis.benchmark_targets`` that apply and by how much
each is missed, and writes a JSON record with --out. Weights are random
unless a checkpoint is given: speed does not depend on their values.

Example:
    python tools/benchmark.py \
        configs/consistency_models/cd-lpips_adm-unet_2step_imagenet-64x64.py \
        --batch-size 4 --compare diffusers --train cd
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import sys

import torch
from mmengine.config import DictAction

from mmcm.utils.cli import add_speed_arguments, quiet_imports, speed_options
from mmcm.utils.functional import DTYPES

with quiet_imports():
    from mmengine.logging import MessageHub
    from mmengine.optim import build_optim_wrapper

    from mmcm.analysis.benchmark_targets import (check_targets,
                                                 forward_flops, peak_tflops,
                                                 print_targets)
    from mmcm.analysis.benchmarking import diffusers_copy, measure
    from mmcm.apis import init_model
    from mmcm.apis.inference import sampling_model_cfg
    from mmcm.models.averaging import EMANetworks, frozen_copy
    from mmcm.models.labels import balanced_class_labels
    from mmcm.models.unets import winograd_kernel_bytes
    from mmcm.registry import MODELS
    from mmcm.utils.jvp import attention_jvp_rule

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark speed')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='optional weights to load')
    parser.add_argument('--samplers', nargs='*',
                        default=['onestep', 'multistep'])
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--compare', choices=['diffusers'],
                        help='also time diffusers\' UNet2DModel')
    parser.add_argument('--train', nargs='*', default=[],
                        choices=['ct', 'cd', 'sct', 'meanflow'],
                        help='time training steps')
    parser.add_argument('--distances', nargs='+', default=['l2', 'lpips'],
                        choices=['l2', 'lpips'])
    parser.add_argument('--jvp-variants', nargs='+',
                        default=[name for name, *_ in JVP_VARIANTS],
                        choices=[name for name, *_ in JVP_VARIANTS],
                        help='which ways to time the sCT and MeanFlow steps')
    parser.add_argument('--out', help='JSON record path')
    parser.add_argument('--peak-tflops', type=float,
                        help='the device\'s peak TFLOP/s at --dtype (or '
                        '--autocast); known GPUs are looked up')
    add_speed_arguments(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def environment(device: str) -> dict:
    info = dict(torch=torch.__version__, python=platform.python_version(),
                device=device, threads=torch.get_num_threads(),
                cpu=platform.processor() or platform.machine())
    if torch.device(device).type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    try:
        import diffusers
        info['diffusers'] = diffusers.__version__
    except ImportError:
        pass
    return info


def with_diffusers_unet(model, args):
    """A copy of ``model`` whose network is diffusers' ``UNet2DModel``,
    with the same speed options but PyTorch's own convolutions."""
    clone = copy.copy(model)
    clone._modules = dict(model._modules)  # do not replace model's own
    device = next(model.unet.parameters()).device
    unet = diffusers_copy(model.unet).to(device, DTYPES[args.dtype]).eval()
    options = dict(speed_options(args), winograd=False)
    clone.unet = unet.accelerate(**options)
    return clone


def labels_for(model, batch_size: int, device):
    if model.num_classes is None:
        return None
    return balanced_class_labels(batch_size, model.num_classes, device=device)


def sampling_run(model, sampler: str, args):
    options = dict(sampler=sampler, generator='dummy')
    if sampler == 'multistep' and not model.sampling_cfg['ts']:
        steps = model.sampling_cfg['steps']
        options['ts'] = (0, steps // 2, steps - 1)
    labels = labels_for(model, args.batch_size, args.device)

    def run():
        with torch.no_grad():
            model.sample(args.batch_size, labels=labels, **options)

    return run


def build_trainer(model, kind: str, distance: str, args):
    """A CT or CD trainer on ``model``'s network (a random teacher for CD)."""
    cfg = sampling_model_cfg(copy.deepcopy(model.cfg.model))
    cfg.pop('sampling_cfg', None)
    objective = dict(
        type='ConsistencyObjective',
        distance=dict(type='LPIPSDistance', pretrained_backbone=False)
        if distance == 'lpips' else 'l2')
    cfg['training'] = dict(objective=objective,
                           averages=dict(ema_decays=(0.9999, )))
    if kind == 'cd':
        cfg['training']['teacher'] = dict(init_student=False)
    trainer = MODELS.build(cfg).to(args.device)
    trainer.unet.load_state_dict(model.unet.state_dict())
    return trainer


# The training blocks of the JVP steps on the config's network.
JVP_TRAINING = {
    'sct': dict(
        parameterisation=dict(type='TrigFlowParameterisation',
                              time_scale=1.0),
        objective=dict(type='SCMObjective', warmup_steps=0)),
    'meanflow': dict(
        network=dict(num_time_inputs=2),
        parameterisation=dict(type='MeanFlowParameterisation'),
        objective=dict(type='MeanFlowObjective')),
}
# (implementation, attention rule, single pass) of each JVP step.
JVP_VARIANTS = (('mmcm', True, False), ('math-attention', False, False),
                ('single-pass', True, True))


def build_jvp_trainer(model, kind: str, single_pass: bool, args):
    """An sCT or MeanFlow trainer on ``model``'s network (random
    weights: MeanFlow's network reads a second time input)."""
    cfg = sampling_model_cfg(copy.deepcopy(model.cfg.model))
    cfg.pop('sampling_cfg', None)
    spec = JVP_TRAINING[kind]
    cfg['network'] = dict(cfg['network'], **spec.get('network', {}))
    cfg['parameterisation'] = spec['parameterisation']
    objective = dict(spec['objective'], single_pass=single_pass)
    cfg['training'] = dict(objective=objective,
                           averages=dict(ema_decays=(0.9999, )))
    return MODELS.build(cfg).to(args.device)


def with_attention_rule(run, enabled: bool):
    """``run`` with mmcm's attention JVP rule on or off."""
    def wrapped():
        with attention_jvp_rule(enabled):
            run()

    wrapped.losses = run.losses
    return wrapped


def jvp_runs(model, kind: str, args):
    """``(task, {implementation: callable})`` of each JVP variant, one
    trainer alive at a time."""
    for impl, rule, single_pass in JVP_VARIANTS:
        if impl not in args.jvp_variants:
            continue
        trainer = build_jvp_trainer(model, kind, single_pass, args).train()
        yield f'train-{kind}', {
            impl: with_attention_rule(training_run(trainer, args), rule)}
        del trainer


def swap_in_diffusers(trainer, args):
    """Replace every network copy of ``trainer`` with a diffusers one."""
    trainer.unet = diffusers_copy(trainer.unet).to(args.device)
    trainer.target_unet = frozen_copy(trainer.unet)
    trainer.ema = EMANetworks(trainer.unet, trainer.ema.decays)
    if trainer.teacher is not None:
        trainer.teacher = frozen_copy(trainer.unet).eval()
    return trainer


def training_run(trainer, args):
    amp = {} if args.dtype == 'fp32' else dict(
        type='MixedPrecisionOptimWrapper', dtype=args.dtype,
        device_type=torch.device(args.device).type)
    cfg = dict(type='OptimWrapper', optimizer=dict(type='RAdam', lr=1e-5))
    wrapper = build_optim_wrapper(trainer, dict(cfg, **amp))
    channels, size = trainer.unet.in_channels, trainer.unet.image_size
    img = torch.randint(0, 256, (args.batch_size, channels, size, size),
                        dtype=torch.uint8)
    labels = labels_for(trainer, args.batch_size, 'cpu')
    data = dict(inputs=dict(img=img, labels=labels))
    step = [0]

    def run():
        MessageHub.get_current_instance().update_info('iter', step[0])
        logs = trainer.train_step(data, wrapper)
        run.losses.append(float(logs['loss']))
        trainer.update_averages(step[0])
        step[0] += 1

    run.losses = []  # every step's loss: the record keeps the last one
    return run


def record_row(task: str, impl: str, timing: dict, args,
               flops_per_image: float) -> dict:
    images_per_s = args.batch_size / timing['seconds_per_call']
    row = dict(task=task, implementation=impl, batch_size=args.batch_size,
               dtype=args.dtype, images_per_s=images_per_s,
               seconds_per_batch=timing['seconds_per_call'],
               peak_memory_mib=timing['peak_memory_mib'])
    if task == 'onestep':  # one network call per image
        row['tflops'] = images_per_s * flops_per_image / 1e12
    return row


def runs(model, args):
    """``(task, {implementation: callable})`` for every measurement: the
    samplers of both implementations together (timed in turns), training
    steps one implementation at a time (one trainer alive at a time)."""
    impls = [('mmcm', model)]
    if args.compare:
        impls.append(('diffusers', with_diffusers_unet(model, args)))
    for sampler in args.samplers:
        yield sampler, {name: sampling_run(m, sampler, args)
                        for name, m in impls}
    for kind in args.train:
        if kind in JVP_TRAINING:
            yield from jvp_runs(model, kind, args)
            continue
        for distance in args.distances:
            for name, _ in impls:
                trainer = build_trainer(model, kind, distance, args)
                if name == 'diffusers':
                    swap_in_diffusers(trainer, args)
                yield (f'train-{kind}-{distance}',
                       {name: training_run(trainer.train(), args)})
                del trainer  # several network copies each


def print_table(rows: list) -> None:
    print(f'{"task":<18} {"impl":<10} {"batch":>5} {"images/s":>10} '
          f'{"s/batch":>9} {"peak MiB":>9} {"TFLOP/s":>8} {"speed x":>8} '
          f'{"memory x":>9}')
    baseline = {}
    for row in rows:
        key = row['task']
        if row['implementation'] == 'mmcm':
            baseline[key] = row
        ref = baseline.get(key) if row['implementation'] != 'mmcm' else None
        speed = memory = ''
        if ref:
            speed = f'{ref["images_per_s"] / row["images_per_s"]:.2f}'
            memory = (f'{ref["peak_memory_mib"] / row["peak_memory_mib"]:.2f}'
                      if row['peak_memory_mib'] > 0 else '')
        tflops = f'{row["tflops"]:.3f}' if 'tflops' in row else ''
        print(f'{key:<18} {row["implementation"]:<10} '
              f'{row["batch_size"]:>5} {row["images_per_s"]:>10.2f} '
              f'{row["seconds_per_batch"]:>9.3f} '
              f'{row["peak_memory_mib"]:>9.1f} {tflops:>8} {speed:>8} '
              f'{memory:>9}')


def add_ratios(rows: list) -> list:
    """mmcm / diffusers ratios of speed and peak memory per task."""
    by_task = {}
    for row in rows:
        by_task.setdefault(row['task'], {})[row['implementation']] = row
    ratios = []
    for task, pair in by_task.items():
        if 'mmcm' in pair and 'diffusers' in pair:
            ours, theirs = pair['mmcm'], pair['diffusers']
            ratios.append(dict(
                task=task,
                speed_ratio=ours['images_per_s'] / theirs['images_per_s'],
                memory_ratio=(ours['peak_memory_mib'] /
                              theirs['peak_memory_mib']
                              if theirs['peak_memory_mib'] > 0 else None)))
    return ratios


def note_winograd(record: dict, network) -> None:
    """Record and print the memory the Winograd kernels hold beside the
    weights (resident from the first call, so not in the peaks above)."""
    kernels = winograd_kernel_bytes(network)
    if not kernels:
        return
    weights = sum(p.numel() * p.element_size() for p in network.parameters())
    record['winograd_kernel_mib'] = kernels / 2**20
    print(f'mmcm --winograd keeps {kernels / 2**20:.0f} MiB of transformed '
          f'kernels beside {weights / 2**20:.0f} MiB of weights')


def meta_network(model):
    """``model``'s network built on the meta device: shapes, no storage,
    so counting its FLOPs costs no forward pass."""
    with torch.device('meta'):
        return MODELS.build(model.cfg.model.network)


def device_peak(args, precision: str):
    if args.peak_tflops:
        return args.peak_tflops
    if torch.device(args.device).type != 'cuda':
        return None
    return peak_tflops(torch.cuda.get_device_name(args.device), precision)


def main(argv=None) -> dict:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, device=args.device,
                       dtype=args.dtype, cfg_options=args.cfg_options)
    precision = args.autocast or args.dtype
    flops = forward_flops(meta_network(model), 'meta')
    record = dict(config=osp.relpath(args.config), dtype=args.dtype,
                  precision=precision, speed_options=speed_options(args),
                  parameters=sum(p.numel() for p in model.unet.parameters()),
                  gflops_per_image=flops / 1e9,
                  peak_tflops=device_peak(args, precision),
                  environment=environment(args.device), results=[])
    print(json.dumps(record['environment']))
    model.unet.accelerate(**speed_options(args))
    for task, impl_runs in runs(model, args):
        timings = measure(impl_runs, args.device, args.warmup, args.iters)
        for impl, timing in timings.items():
            row = record_row(task, impl, timing, args, flops)
            losses = getattr(impl_runs[impl], 'losses', None)
            if losses:
                row['last_loss'] = losses[-1]
            record['results'].append(row)
        del impl_runs  # frees a trainer before the next is built
    print_table(record['results'])
    note_winograd(record, model.unet)
    record['ratios'] = add_ratios(record['results'])
    record['targets'] = check_targets(record)
    print_targets(record['targets'])
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
    return record


if __name__ == '__main__':
    main()
    sys.exit(0)
