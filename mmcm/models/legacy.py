"""Model configs of the earlier layout, moved to the current one.

Earlier configs wrote a training method as a model type
(``ConsistencyTrainer``, ``EDMTrainer``, ``JointConsistencyTrainer``,
``TrigFlowTrainer``), the network as ``unet``, the parameterisation as
``preconditioner`` with the noise range beside it, and the training
options at the top level. :func:`upgrade_config` gives the same model in
the current layout (``network``, ``parameterisation``, ``training``) and
warns once per key with its new name; the old type names stay buildable
through it, so configs, ``--cfg-options`` and checkpoints written before
keep working.
"""
import copy
import warnings

from mmcm.registry import MODELS

PARAMETERISATIONS = {
    'ConsistencyPreconditioner': 'ConsistencyParameterisation',
    'EDMPreconditioner': 'EDMParameterisation',
    'TrigFlowPreconditioner': 'TrigFlowParameterisation',
}
RANGE_KEYS = ('sigma_min', 'sigma_max', 'sigma_data', 'rho')
# old top-level key -> (new key in `training`, key inside it or None)
TRAINING_KEYS = {
    'objective': ('objective', None),
    'curriculum': ('curriculum', None),
    'teacher': ('teacher', None),
    'init_from': ('init_from', None),
    'ema_decays': ('averages', 'ema_decays'),
    'sample_with': ('averages', 'sample_with'),
    'train_acceleration': ('acceleration', None),
}
# the defaults of each earlier trainer type
TRAINERS = {
    'ConsistencyTrainer': dict(objective='ConsistencyObjective',
                               parameterisation=None),
    'JointConsistencyTrainer': dict(objective='ConsistencyObjective',
                                    parameterisation=None),
    'EDMTrainer': dict(objective='EDMObjective',
                       parameterisation='EDMParameterisation'),
    'TrigFlowTrainer': dict(objective='SCMObjective',
                            parameterisation='TrigFlowParameterisation'),
}


def _moved(old: str, new: str) -> None:
    warnings.warn(f'model.{old} is now model.{new}', FutureWarning,
                  stacklevel=3)


def _network(cfg: dict):
    """``network``, with the earlier ``unet`` key merged over it (e.g. a
    ``--cfg-options model.unet.dropout=0.1`` on a config of today)."""
    network = cfg.pop('network', None)
    if 'unet' not in cfg:
        return network
    _moved('unet', 'network')
    return dict(network or {}, **cfg.pop('unet'))


def _parameterisation(cfg: dict, default_type):
    """``parameterisation``, with the earlier ``preconditioner`` and the
    noise range at the top level merged over it."""
    param = dict(cfg.pop('parameterisation', None) or {})
    old = cfg.pop('preconditioner', None)
    if old is not None:
        _moved('preconditioner', 'parameterisation')
        param.update(old)
    kind = param.get('type') or default_type or 'ConsistencyParameterisation'
    param['type'] = PARAMETERISATIONS.get(kind, kind)
    for key in RANGE_KEYS:
        if key in cfg:
            _moved(key, f'parameterisation.{key}')
            param[key] = cfg.pop(key)
    return param


def _training(cfg: dict, trainer):
    training = cfg.pop('training', None)
    moved = {k: cfg.pop(k) for k in list(cfg) if k in TRAINING_KEYS}
    if trainer is None and not moved:
        return training
    training = copy.deepcopy(dict(training or {}))
    for old, value in moved.items():
        key, inner = TRAINING_KEYS[old]
        _moved(old, f'training.{key}' + (f'.{inner}' if inner else ''))
        if inner is None:
            training[key] = value
        else:
            training.setdefault(key, {})[inner] = value
    teacher = training.get('teacher')
    if teacher is not None and 'unet' in teacher:
        teacher = dict(teacher)
        _moved('teacher.unet', 'training.teacher.network')
        teacher['network'] = teacher.pop('unet')
        training['teacher'] = teacher
    if trainer is not None:
        training.setdefault('objective',
                            dict(type=TRAINERS[trainer]['objective']))
    return training


def _joint(cfg: dict, training: dict) -> None:
    """``JointConsistencyTrainer``'s keys as a ``JointObjective``."""
    diffusion = cfg.pop('diffusion_objective', None)
    weight = cfg.pop('diffusion_weight', 1.0)
    training['objective'] = dict(
        type='JointObjective', consistency=training['objective'],
        diffusion=diffusion or dict(type='EDMObjective'),
        diffusion_weight=weight)


def _trigflow(cfg: dict, training: dict) -> None:
    """``TrigFlowTrainer``'s adaptive weighting as ``log_variance``."""
    adaptive = cfg.pop('adaptive_weighting', True)
    embedding = cfg.pop('log_variance_embedding', 'fourier')
    if adaptive:
        training['log_variance'] = dict(embedding=embedding)


def upgrade_config(model_cfg: dict) -> dict:
    """``model_cfg`` in the current layout (a config of another model type
    is returned as it is)."""
    cfg = dict(model_cfg)
    kind = cfg.pop('type', 'ConsistencyModel')
    if kind != 'ConsistencyModel' and kind not in TRAINERS:
        return dict(model_cfg)
    if kind in TRAINERS:
        warnings.warn(f'model type {kind} is now ConsistencyModel with a '
                      'training block (model.training)', FutureWarning,
                      stacklevel=2)
    trainer = TRAINERS.get(kind)
    network = _network(cfg)
    param = _parameterisation(cfg, trainer and trainer['parameterisation'])
    training = _training(cfg, kind if trainer else None)
    if kind == 'JointConsistencyTrainer':
        _joint(cfg, training)
    if kind == 'TrigFlowTrainer':
        _trigflow(cfg, training)
    for key in ('diffusion_objective', 'diffusion_weight',
                'adaptive_weighting', 'log_variance_embedding'):
        if key in cfg:
            raise ValueError(f'model.{key} belongs to the earlier {key!r} '
                             'trainer types; write model.training.objective '
                             '(JointObjective) or model.training.log_variance')
    return dict(type='ConsistencyModel', network=network,
                parameterisation=param, training=training, **cfg)


def _build_upgraded(kind: str, kwargs: dict):
    cfg = upgrade_config(dict(kwargs, type=kind))
    cfg.pop('type')
    return MODELS.get('ConsistencyModel')(**cfg)


def _register_trainer_type(kind: str) -> None:
    def build(**kwargs):
        return _build_upgraded(kind, kwargs)

    build.__name__ = kind
    build.__doc__ = (f'The earlier ``{kind}`` type: a ConsistencyModel '
                     'built from the upgraded config (upgrade_config).')
    MODELS.register_module(name=kind, module=build)


for _kind in TRAINERS:
    _register_trainer_type(_kind)
