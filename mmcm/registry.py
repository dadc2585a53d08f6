"""Registries of mmcm, children of mmengine's roots under the scope ``mmcm``.

Modules are imported lazily from ``locations`` the first time a registry is
asked to build something, so ``import mmcm`` stays light.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, locations=['mmcm.models'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['mmcm.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS,
    locations=['mmcm.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['mmcm.datasets'])
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['mmcm.evaluation'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmcm.engine'])
# Training curricula (discretisation N(k), target EMA decay mu(k)); they are
# functions of the runner's iteration, not optimizer parameter schedulers.
CURRICULA = Registry(
    'curriculum', scope='mmcm', locations=['mmcm.models.schedulers'])
