"""Rebuild a power-function EMA of any std from post-hoc EMA snapshots.

Reads the ``phema-{step:07d}-{std:.3f}.pt`` snapshots that
``PostHocEMASnapshotHook`` wrote (``work_dir/phema``) and writes the EMA of
relative std ``--std`` at ``--step`` (default: the latest snapshot's) as a
plain UNet ``state_dict``, the format of the official ``.pt`` files, which
``tools/sample.py``, ``tools/test.py`` and ``init_model`` load.

Example:
    python tools/reconstruct_posthoc_ema.py work_dirs/digits/phema \
        --std 0.075 --out work_dirs/digits/phema-0.075.pt
"""
import argparse
import os
import os.path as osp
import re
import sys

import torch

from mmcm.models.posthoc_ema import reconstruct
from mmcm.utils.checkpoint import describe_load_failure

SNAPSHOT_FILE = re.compile(r'phema-(\d+)-(\d+\.\d+)\.pt')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dir', help='folder of phema-*.pt snapshots')
    parser.add_argument('--std', type=float, required=True,
                        help='relative std of the EMA to rebuild')
    parser.add_argument('--step', type=int, default=None,
                        help='snapshot step to rebuild it at (default: '
                        'the latest)')
    parser.add_argument('--out', required=True, help='output .pt path')
    return parser.parse_args(argv)


def snapshot_paths(folder: str) -> list:
    """The snapshot files in ``folder``, sorted by name."""
    if not osp.isdir(folder):
        raise ValueError(f'snapshot folder not found: {folder}')
    paths = [osp.join(folder, name) for name in sorted(os.listdir(folder))
             if SNAPSHOT_FILE.fullmatch(name)]
    if not paths:
        raise ValueError(f'{folder} holds no phema-*.pt snapshots')
    return paths


def load_snapshot(path: str) -> tuple:
    """``(step, gamma, state_dict)`` of a snapshot, its tensors mapped
    from the file rather than read, so that reconstruction holds one
    snapshot in memory at a time."""
    try:
        snapshot = torch.load(path, map_location='cpu', weights_only=True,
                              mmap=True)
    except Exception as err:  # torch.load fails in many ways on bad files
        raise ValueError(describe_load_failure(path, err)) from None
    return snapshot['step'], snapshot['gamma'], snapshot['state_dict']


def run(folder: str, std: float, step=None, out: str = None) -> dict:
    """Rebuild the EMA of ``std`` at ``step`` from ``folder`` into ``out``.

    Returns:
        ``dict(state=..., step=..., snapshots=...)``.
    """
    snapshots = [load_snapshot(path) for path in snapshot_paths(folder)]
    step = max(s[0] for s in snapshots) if step is None else step
    state = reconstruct(snapshots, std, step)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(state, out)
    used = sum(1 for s in snapshots if s[0] <= step)
    return dict(state=state, step=step, snapshots=used)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        result = run(args.dir, args.std, args.step, args.out)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'rebuilt the EMA of std {args.std} at step {result["step"]} from '
          f'{result["snapshots"]} snapshots; wrote {len(result["state"])} '
          f'tensors to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
