"""tools/training_steps.py: the same recipe, seed and batch give the same
losses and weights; a different seed does not."""
import json
import os.path as osp
import sys

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import training_steps  # noqa: E402

CT = osp.join(REPO, 'configs', 'consistency_models', 'train',
              'cm-ct_adm-unet_1xb32-1k_digits-16x16.py')
SMALL = ['model.network.num_res_blocks=1',
         'model.network.channel_mult=(1, 2)']


def run(capsys, *extra):
    training_steps.main([CT, '--steps', '2', '--batch-size', '4',
                         '--cfg-options', *SMALL, *extra])
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_training_steps_repeat_bit_for_bit(capsys):
    first, second = run(capsys), run(capsys)
    assert len(first['losses']) == 2 and first['losses'][0] > 0
    assert first == second
    training_steps.main([CT, '--steps', '2', '--batch-size', '4', '--seed',
                         '1', '--cfg-options', *SMALL])
    other = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert other['weight_sum'] != first['weight_sum']
