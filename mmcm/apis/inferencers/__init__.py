"""Run consistency models through mmagic's ``MMagicInferencer``.

Call :func:`register_mmagic_inferencer` once, then use mmagic as usual::

    from mmagic.apis import MMagicInferencer
    from mmcm.apis.inferencers import register_mmagic_inferencer

    register_mmagic_inferencer()

    editor = MMagicInferencer(model_name='consistency_models',
                              config_name='cd-lpips_imagenet-64x64')
    editor.infer(label=145, result_out_dir='penguins.png')

Importing this package does not import mmagic; the inferencer class is
loaded on first use.
"""
from .registration import inferencer_kwargs, register_mmagic_inferencer
from .settings import (MODEL_NAME, TASK, describe_settings, resolve_model,
                       result_path, setting_index, zoo_settings)

__all__ = [
    'ConsistencyModelsInferencer', 'MODEL_NAME', 'TASK', 'describe_settings',
    'inferencer_kwargs', 'register_mmagic_inferencer', 'resolve_model',
    'result_path', 'setting_index', 'zoo_settings'
]


def __getattr__(name: str):
    """Import :class:`ConsistencyModelsInferencer` (and mmagic) on demand."""
    if name == 'ConsistencyModelsInferencer':
        from .consistency_models_inferencer import ConsistencyModelsInferencer
        return ConsistencyModelsInferencer
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
