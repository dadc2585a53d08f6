"""Every config builds; the zoo matches the official launch script; the
configs use the current model layout and say each thing once."""
import ast
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
import yaml
from mmengine import Config

from mmcm.registry import MODELS

from .conftest import REPO

CONFIGS = sorted(
    c for c in glob.glob(osp.join(REPO, 'configs', 'consistency_models',
                                  '**', '*.py'), recursive=True)
    if '/train/' not in c)

# Two-step indices of the official launch script (Cat CD uses Bedroom's).
OFFICIAL_TWO_STEP = {
    'cd-l2_adm-unet_2step_imagenet-64x64.py': ((0, 22, 39), 40),
    'cd-lpips_adm-unet_2step_imagenet-64x64.py': ((0, 22, 39), 40),
    'ct_adm-unet_2step_imagenet-64x64.py': ((0, 106, 200), 201),
    'cd-l2_adm-unet_2step_lsun-bedroom-256x256.py': ((0, 18, 39), 40),
    'cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py': ((0, 17, 39), 40),
    'ct_adm-unet_2step_lsun-bedroom-256x256.py': ((0, 67, 150), 151),
    'ct_adm-unet_2step_lsun-cat-256x256.py': ((0, 62, 150), 151),
}
MMAGIC_NAMES = [
    'consistency_models_8xb256-imagenet1k-onestep-64x64.py',
    'consistency_models_8xb256-imagenet1k-multistep-64x64.py',
    'consistency_models_8xb32-LSUN-bedroom-onestep-256x256.py',
    'consistency_models_8xb32-LSUN-bedroom-multistep-256x256.py',
    'consistency_models_8xb32-LSUN-cat-onestep-256x256.py',
    'consistency_models_8xb32-LSUN-cat-multistep-256x256.py',
]


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_on_meta_device(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmcm'
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    sampling = model.sampling_cfg
    if sampling['sampler'] == 'multistep':
        assert sampling['ts'][-1] == sampling['steps'] - 1
    name = osp.basename(path)
    if name.startswith(('edm_', 'edm2_')):
        assert type(model.parameterisation).__name__ == \
            'EDMParameterisation'
        assert sampling['sampler'] == 'heun'
    else:
        assert type(model.parameterisation).__name__ == \
            'ConsistencyParameterisation'
    assert model.training_block is None  # zoo configs sample only
    if name in OFFICIAL_TWO_STEP:
        assert (sampling['ts'], sampling['steps']) == OFFICIAL_TWO_STEP[name]


def test_mmagic_names_exist_and_sample_as_named():
    folder = osp.join(REPO, 'configs', 'consistency_models')
    for name in MMAGIC_NAMES:
        cfg = Config.fromfile(osp.join(folder, name))
        sampler = cfg.model.sampling_cfg.sampler
        assert sampler == ('onestep' if 'onestep' in name else 'multistep')


def test_metafile_lists_every_zoo_config_with_weights():
    with open(osp.join(REPO, 'configs', 'consistency_models',
                       'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    listed = {osp.join(REPO, m['Config']) for m in models}
    zoo = {c for c in CONFIGS if '/tiny/' not in c}
    assert listed == zoo
    urls = {m['Weights'] for m in models if '/digits/' not in m['Config']}
    openai = {u for u in urls if u.startswith(
        'https://openaipublic.blob.core.windows.net/consistency/')}
    edm2 = {u for u in urls if u.startswith(
        'https://nvlabs-fi-cdn.nvidia.com/edm2/posthoc-reconstructions/')}
    assert len(openai) == 12 and len(edm2) == 1 and openai | edm2 == urls
    bundled = [m['Weights'] for m in models if '/digits/' in m['Config']]
    assert bundled == ['checkpoints/cm-ct_digits-16x16.pt']
    assert osp.isfile(osp.join(REPO, bundled[0]))


TRAIN_DIR = osp.join(REPO, 'configs', 'consistency_models', 'train')
# name: (per-GPU batch, lr, distance, teacher, ema decays, mu(0), N(0), iters)
# from the official launch script (global batch = 8 x per-GPU batch).
IMAGENET_EMA = (0.999, 0.9999, 0.9999432189950708)
LSUN_EMA = (0.9999, 0.99994, 0.9999432189950708)
OFFICIAL_TRAINING = {
    'cm-cd-l2_adm-unet_8xb256-600k_imagenet-64x64.py':
    (256, 8e-6, 'l2', 'edm_imagenet64_ema.pt', IMAGENET_EMA, 0.95, 40,
     600000),
    'cm-cd-lpips_adm-unet_8xb256-600k_imagenet-64x64.py':
    (256, 8e-6, 'lpips', 'edm_imagenet64_ema.pt', IMAGENET_EMA, 0.95, 40,
     600000),
    'cm-ct_adm-unet_8xb256-800k_imagenet-64x64.py':
    (256, 1e-4, 'lpips', None, IMAGENET_EMA, 0.95**2, 2, 800000),
    'cm-cd-l2_adm-unet_8xb32-600k_lsun-bedroom-256x256.py':
    (32, 1e-5, 'l2', 'edm_bedroom256_ema.pt', LSUN_EMA, 0.95, 40, 600000),
    'cm-cd-lpips_adm-unet_8xb32-600k_lsun-cat-256x256.py':
    (32, 1e-5, 'lpips', 'edm_cat256_ema.pt', LSUN_EMA, 0.95, 40, 600000),
    'cm-ct_adm-unet_8xb32-1000k_lsun-cat-256x256.py':
    (32, 5e-5, 'lpips', None, LSUN_EMA, 0.95**2, 2, 1000000),
}


@pytest.mark.parametrize('name', sorted(OFFICIAL_TRAINING))
def test_training_configs_match_the_launch_script(name):
    batch, lr, distance, teacher, emas, mu0, n0, iters = \
        OFFICIAL_TRAINING[name]
    cfg = Config.fromfile(osp.join(TRAIN_DIR, name))
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.optim_wrapper.optimizer == dict(type='RAdam', lr=lr,
                                               weight_decay=0.0)
    assert cfg.train_cfg.max_iters == iters
    model = cfg.model
    training = model.training
    assert training.objective.distance == distance
    assert tuple(training.averages.ema_decays) == emas
    if teacher is None:
        assert 'teacher' not in training
    else:
        assert training.teacher.checkpoint.endswith(teacher)
        assert training.teacher.dropout == 0.1
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert hooks == ['ConsistencyAveragesHook', 'ResumeStateHook',
                     'SkippedImagesHook', 'PreemptionHook']
    # Build it without downloads: l2 instead of LPIPS, a random teacher.
    training.objective.distance = 'l2'
    if teacher is not None:
        training.teacher.checkpoint = None
    with torch.device('meta'):
        trainer = MODELS.build(model)
    decay, scales = trainer.training_block.curriculum(0)
    assert (decay, scales) == (pytest.approx(mu0), n0)
    if 'lsun-cat' in name:
        assert cfg.train_dataloader.dataset.data_root == 'data/lsun_cat256'


@pytest.mark.parametrize('name', [
    'edm_adm-unet_8xb512-600k_imagenet-64x64.py',
    'edm_adm-unet_8xb32-600k_lsun-cat-256x256.py'
])
def test_edm_training_configs(name):
    cfg = Config.fromfile(osp.join(TRAIN_DIR, name))
    assert cfg.model.network.dropout == 0.1
    assert cfg.model.training.objective == dict(
        type='EDMObjective', p_mean=-1.2, p_std=1.2, weighting='karras')
    with torch.device('meta'):
        trainer = MODELS.build(cfg.model)
    assert type(trainer.parameterisation).__name__ == 'EDMParameterisation'


def test_new_dataset_example_from_the_train_readme(tmp_path):
    """The two files of train/README.md build the config they promise."""
    import re
    import shutil
    shutil.copytree(osp.join(REPO, 'configs'), tmp_path / 'configs')
    readme = open(osp.join(TRAIN_DIR, 'README.md'), encoding='utf-8').read()
    for block in re.findall(r'```python\n(.*?)```', readme, re.S):
        path = block.splitlines()[0].lstrip('# ').strip()
        (tmp_path / path).write_text(block)
    cfg = Config.fromfile(
        str(tmp_path / 'configs' / 'consistency_models' / 'train' /
            'cm-ct_adm-unet_8xb64-400k_faces-64x64.py'))
    assert cfg.train_dataloader.dataset.data_root == 'data/faces64'
    assert cfg.train_dataloader.dataset.class_cond is False
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.model.network.num_classes is None
    cfg.model.training.objective = dict(type='ConsistencyObjective',
                                        distance='l2')
    with torch.device('meta'):
        trainer = MODELS.build(cfg.model)
    assert trainer.training_block.curriculum(400000) == (
        pytest.approx(0.95**(2 / 150)), 151)


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(
    REPO, 'configs', 'consistency_models', 'train', '*1k_digits-16x16.py'))),
    ids=osp.basename)
def test_digits_recipes_train_1k_iterations_then_validate(path):
    """The CPU recipes share one schedule, 1,000 iterations of the batch
    their name says (the digits study fits them to one wall-clock budget)."""
    cfg = Config.fromfile(path)
    assert cfg.train_cfg.max_iters == 1000
    assert cfg.train_cfg.val_interval == 1000
    batch = int(re.search(r'_1xb(\d+)-1k_', osp.basename(path)).group(1))
    assert cfg.train_dataloader.batch_size == batch


ICT_RECIPES = {
    # name: (global batch / GPUs, iterations, N at the end, dropout)
    'cm-ict_adm-unet_8xb128-400k_cifar10-32x32.py': (128, 400000, 1281, 0.3),
    'cm-ict-joint_adm-unet_8xb128-400k_cifar10-32x32.py':
    (128, 400000, 1281, 0.3),
    'cm-ict_adm-unet_32xb128-800k_imagenet-64x64.py':
    (128, 800000, 1281, 0.2),
    'cm-ict_adm-unet_1xb32-1k_digits-16x16.py': (32, 1000, 81, 0.0),
    'cm-ict-joint_adm-unet_1xb32-1k_digits-16x16.py': (32, 1000, 81, 0.0),
    'cm-ict_mlp-mixer_1xb32-1k_digits-16x16.py': (32, 1000, 81, 0.0),
    'cm-ict_mlp-mixer_8xb128-400k_cifar10-32x32.py': (128, 400000, 1281, 0.3),
}


@pytest.mark.parametrize('name', sorted(ICT_RECIPES))
def test_ict_recipes(name):
    batch, iters, end_scales, dropout = ICT_RECIPES[name]
    cfg = Config.fromfile(osp.join(TRAIN_DIR, name))
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.train_cfg.max_iters == iters
    assert cfg.model.network.get('dropout', 0.0) == dropout
    with torch.device('meta'):
        trainer = MODELS.build(cfg.model)
    block = trainer.training_block
    joint = '-joint_' in name
    assert (type(block.objective).__name__ == 'JointObjective') == joint
    objective = block.objective.consistency if joint else block.objective
    assert type(objective.distance).__name__ == 'PseudoHuberDistance'
    assert objective.weighting == 'inverse-gap'
    sampler = objective.index_sampler
    assert (sampler.kind, sampler.p_mean, sampler.p_std) == ('lognormal',
                                                             -1.1, 2.0)
    assert block.curriculum(0) == (0.0, 11)
    assert block.curriculum(iters - 1) == (0.0, end_scales)
    assert hasattr(trainer.network, 'diffusion_out') == joint
    network = 'MLPMixer' if '_mlp-mixer_' in name else 'ADMUNet'
    assert type(trainer.network).__name__ == network


@pytest.mark.parametrize('name, parameterisation, objective', [
    ('cm-ct-continuous_adm-unet_1xb32-1k_digits-16x16.py',
     'ConsistencyParameterisation', 'ContinuousConsistencyObjective'),
    ('cm-cd-continuous_adm-unet_8xb256-600k_imagenet-64x64.py',
     'ConsistencyParameterisation', 'ContinuousConsistencyObjective'),
    ('scm-sct_adm-unet_1xb32-1k_digits-16x16.py',
     'TrigFlowParameterisation', 'SCMObjective'),
    ('scm-scd_adm-unet_1xb32-1k_digits-16x16.py',
     'TrigFlowParameterisation', 'SCMObjective'),
    ('trigflow_adm-unet_1xb32-1k_digits-16x16.py',
     'TrigFlowParameterisation', 'TrigFlowObjective'),
    ('trigflow_adm-unet_8xb256-600k_imagenet-64x64.py',
     'TrigFlowParameterisation', 'TrigFlowObjective'),
    ('scm-scd_adm-unet_8xb256-400k_imagenet-64x64.py',
     'TrigFlowParameterisation', 'SCMObjective'),
    ('scm-sct_adm-unet_8xb128-400k_cifar10-32x32.py',
     'TrigFlowParameterisation', 'SCMObjective'),
])
def test_continuous_time_recipes_build(name, parameterisation, objective):
    cfg = Config.fromfile(osp.join(TRAIN_DIR, name))
    if 'teacher' in cfg.model.training:
        cfg.model.training.teacher.checkpoint = None  # no download in tests
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'ConsistencyModel'
    block = model.training_block
    assert type(block.objective).__name__ == objective
    assert (model.teacher is not None) == ('-cd-' in name or 'scd' in name)
    assert type(model.parameterisation).__name__ == parameterisation
    if parameterisation == 'TrigFlowParameterisation':
        assert model.log_variance is not None  # adaptive weighting
        assert model.network.output_blocks[0][0].pixel_norm
    else:
        assert block.curriculum(10**6)[0] == 0.0  # mu = 0


ALL_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
FINAL_CONFIGS = [c for c in ALL_CONFIGS if '/_base_/' not in c]


def base_files(path):
    """The files named by ``_base_`` in ``path`` (read with ast, not run)."""
    for node in ast.parse(open(path, encoding='utf-8').read()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            bases = ast.literal_eval(node.value)
            bases = [bases] if isinstance(bases, str) else bases
            return [
                osp.normpath(osp.join(osp.dirname(path), b)) for b in bases
            ]
    return []


LEGACY_MODEL_KEYS = {
    'unet', 'preconditioner', 'sigma_min', 'sigma_max', 'sigma_data', 'rho',
    'objective', 'curriculum', 'teacher', 'init_from', 'ema_decays',
    'sample_with', 'train_acceleration', 'diffusion_objective',
    'diffusion_weight', 'adaptive_weighting', 'log_variance_embedding'
}
TRAINER_TYPES = {'ConsistencyTrainer', 'EDMTrainer',
                 'JointConsistencyTrainer', 'TrigFlowTrainer'}
# the variables of _base_/methods that a recipe takes as its model
METHOD_VARIABLES = {
    'consistency_distillation', 'consistency_training',
    'improved_consistency_training', 'joint_consistency_diffusion',
    'easy_consistency_tuning', 'edm', 'edm_sampling', 'trigflow'
}


@pytest.mark.parametrize('path', ALL_CONFIGS + [
    osp.join(REPO, 'tests', 'test_engine', 'tiny_digits_ct.py')
], ids=lambda p: osp.relpath(p, REPO))
def test_configs_use_the_current_model_layout(path):
    """``network``, ``parameterisation``, ``training``: none of the keys or
    trainer types that mmcm.models.legacy upgrades with a warning, in
    ``model`` or in a method base's variables."""
    cfg = Config.fromfile(path)
    models = [cfg[k] for k in cfg if k == 'model' or k in METHOD_VARIABLES]
    for model in models:
        assert not LEGACY_MODEL_KEYS & set(model), path
        assert model.get('type', 'ConsistencyModel') not in TRAINER_TYPES
        assert 'unet' not in model.get('training', {}).get('teacher', {})


def test_no_two_final_configs_have_the_same_body():
    """A config that says what another says inherits it instead. An alias
    (a body of one ``_base_ = './other.py'``) is a second name for one
    definition, such as the mmagic names, and may repeat another alias."""
    bodies = {}
    for path in FINAL_CONFIGS:
        tree = ast.parse(open(path, encoding='utf-8').read())
        alias = len(tree.body) == 1 and isinstance(
            tree.body[0].value, ast.Constant) and len(base_files(path)) == 1
        if not alias:
            bodies.setdefault(ast.dump(tree), []).append(
                osp.relpath(path, REPO))
    assert [names for names in bodies.values() if len(names) > 1] == []


def model_keys(path, field=None):
    """The keys of ``model = dict(...)`` in ``path`` (read with ast), or of
    its ``field=dict(...)``."""
    for node in ast.parse(open(path, encoding='utf-8').read()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == 'model' for t in node.targets):
            keywords = node.value.keywords
            if field is not None:
                keywords = next(k.value.keywords for k in keywords
                                if k.arg == field)
            return {k.arg for k in keywords}
    return set()


def test_model_bases_hold_each_field_once():
    """consistency-model.py holds the fields outside the network (type,
    data preprocessor, parameterisation and its noise range, sampling
    defaults); every other model base inherits it, directly or through
    another, and adds its network (LSUN its noise generator too; EDM2 the
    noise input its network reads, parameterisation.noise_scale)."""
    folder = osp.join(REPO, 'configs', '_base_', 'models')
    root = osp.join(folder, 'consistency-model.py')
    assert base_files(root) == []
    assert model_keys(root) == {'type', 'data_preprocessor',
                                'parameterisation', 'sampling_cfg'}
    others = [p for p in sorted(glob.glob(osp.join(folder, '*.py')))
              if p != root]
    assert len(others) >= 5
    for path in others:
        chain, bases = [], base_files(path)
        while bases:
            assert len(bases) == 1, path
            chain.append(bases[0])
            bases = base_files(bases[0])
        assert chain and chain[-1] == root, path
        keys = model_keys(path)
        assert keys <= {'network', 'sampling_cfg', 'parameterisation'}, path
        if 'parameterisation' in keys:  # the noise input the network reads
            assert model_keys(path, 'parameterisation') == {'noise_scale'}
        sampling = Config.fromfile(path).model.sampling_cfg
        assert set(sampling) == {'sampler', 'generator', 'seed',
                                 'clip_denoised'}


def test_method_bases_are_leaves_of_variables():
    """A method base is named next to a model base, which owns ``model``:
    it has no base and sets only variables that a recipe merges into a
    copy, none of the keys a runner reads."""
    folder = osp.join(REPO, 'configs', '_base_', 'methods')
    paths = sorted(glob.glob(osp.join(folder, '*.py')))
    assert len(paths) >= 5
    runner_keys = {
        'model', 'train_dataloader', 'val_dataloader', 'test_dataloader',
        'train_cfg', 'val_cfg', 'test_cfg', 'val_evaluator',
        'test_evaluator', 'optim_wrapper', 'param_scheduler',
        'default_hooks', 'custom_hooks', 'env_cfg', 'randomness',
        'default_scope', 'max_iters'
    }
    for path in paths:
        assert base_files(path) == [], path
        assert not set(Config.fromfile(path)) & runner_keys, path


def test_configs_need_no_custom_imports():
    """The default scope 'mmcm' makes mmengine import mmcm.registry, whose
    registries import their modules on first use."""
    tiny = osp.join(REPO, 'configs', 'consistency_models', 'tiny',
                    'cm_adm-unet_2step_tiny-32x32.py')
    code = (
        'import sys, torch\n'
        'from mmengine import Config\n'
        'from mmengine.registry import MODELS, DefaultScope\n'
        f'cfg = Config.fromfile({tiny!r})\n'
        'assert "custom_imports" not in cfg\n'
        'DefaultScope.get_instance("t", scope_name=cfg.default_scope)\n'
        'with torch.device("meta"):\n'
        '    model = MODELS.build(cfg.model)\n'
        'assert type(model).__name__ == "ConsistencyModel"\n'
        'assert "mmcm.models" in sys.modules\n')
    run = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.mark.parametrize(
    'path', sorted(glob.glob(osp.join(TRAIN_DIR, '*.py'))), ids=osp.basename)
def test_training_loops_are_whole(path):
    """mmengine's Runner needs each of validation and test as a whole
    (dataloader, loop and evaluator) or not at all."""
    cfg = Config.fromfile(path)
    for stage in ('val', 'test'):
        parts = [cfg.get(f'{stage}_{part}') for part in
                 ('dataloader', 'cfg', 'evaluator')]
        assert all(p is None for p in parts) or all(
            p is not None for p in parts), (stage, parts)
