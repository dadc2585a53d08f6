"""Teach mmagic's ``MMagicInferencer`` the model name ``consistency_models``.

Released mmagic (1.2.0) neither lists ``consistency_models`` nor knows how to
run it. :func:`register_mmagic_inferencer` adds it, touching three things of
``mmagic.apis`` and nothing else:

* ``MMagicInferencer.inference_supported_models`` (the list behind
  ``--print-supported-models``) and ``inference_supported_models_cfg`` (its
  settings), filled from mmcm's ``metafile.yml``;
* ``MMagicInferencer._get_inferencer_kwargs``, wrapped so that settings of
  ``consistency_models`` resolve to mmcm's config files and weights (mmagic
  would look for them inside its own package);
* ``Inferencers.__init__``, wrapped so that the task of ``consistency_models``
  builds a :class:`ConsistencyModelsInferencer`.

Every other model name and task goes to mmagic's code unchanged. mmagic is
imported only when the function is called.
"""
import functools
import inspect
from typing import Dict, Optional

from .settings import MODEL_NAME, TASK, resolve_model, zoo_settings

_MARK = '_mmcm_consistency_models'


def register_mmagic_inferencer() -> None:
    """Make ``MMagicInferencer(model_name='consistency_models')`` work.

    Safe to call more than once.
    """
    from mmagic.apis.inferencers import Inferencers
    from mmagic.apis.mmagic_inferencer import MMagicInferencer

    # mmagic reads the metafiles of every listed name from its own configs
    # folder, once: let it do so before our name joins the list.
    MMagicInferencer.init_inference_supported_models_cfg()
    if MODEL_NAME not in MMagicInferencer.inference_supported_models:
        MMagicInferencer.inference_supported_models.append(MODEL_NAME)
    MMagicInferencer.inference_supported_models_cfg[MODEL_NAME] = dict(
        task=TASK, settings=zoo_settings())
    _wrap_once(MMagicInferencer, '_get_inferencer_kwargs', _resolve_settings)
    _wrap_once(Inferencers, '__init__', _dispatch_task)


def inferencer_kwargs(model_setting: Optional[int] = None,
                      config_name: Optional[str] = None,
                      model_config: Optional[str] = None,
                      model_ckpt: Optional[str] = None,
                      extra_parameters: Optional[Dict] = None) -> Dict:
    """What ``MMagicInferencer`` hands to ``Inferencers`` for our model.

    See :func:`resolve_model` for how the arguments pick config and weights.
    """
    config, ckpt = resolve_model(model_setting, config_name, model_config,
                                 model_ckpt)
    kwargs = dict(task=TASK, config=config, ckpt=ckpt)
    if extra_parameters is not None:
        kwargs['extra_parameters'] = extra_parameters
    return kwargs


def _wrap_once(owner: type, name: str, make_wrapper) -> None:
    """Replace ``owner.name`` by ``make_wrapper(original)`` unless done."""
    original = getattr(owner, name)
    if getattr(original, _MARK, False):
        return
    wrapper = functools.wraps(original)(make_wrapper(original))
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


def _resolve_settings(original):
    """``_get_inferencer_kwargs`` that resolves our settings through mmcm."""
    signature = inspect.signature(original)

    def get_inferencer_kwargs(self, *args, **kwargs):
        options = signature.bind(self, *args, **kwargs).arguments
        if options.get('model_name') != MODEL_NAME:
            return original(self, *args, **kwargs)
        return inferencer_kwargs(
            options.get('model_setting'), options.get('config_name'),
            options.get('model_config'), options.get('model_ckpt'),
            options.get('extra_parameters'))

    return get_inferencer_kwargs


def _dispatch_task(original):
    """``Inferencers.__init__`` that builds our inferencer for our task."""

    def __init__(self, task=None, config=None, ckpt=None, device=None,
                 extra_parameters=None, seed=2022):
        if task != TASK:
            original(self, task, config, ckpt, device, extra_parameters,
                     seed)
            return
        from .consistency_models_inferencer import ConsistencyModelsInferencer
        self.task = task
        self.inferencer = ConsistencyModelsInferencer(
            config, ckpt, device, extra_parameters, seed=seed)

    return __init__
