"""An mmagic inferencer that samples from consistency models."""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmagic.apis.inferencers.base_mmagic_inferencer import (
    BaseMMagicInferencer, InputsType, PredType)
from mmagic.structures import DataSample
from mmengine import Config, DefaultScope
from mmengine.dataset import pseudo_collate

from mmcm.apis.inference import init_model
from mmcm.models.consistency_model import DEFAULT_SAMPLING_CFG
from mmcm.models.labels import resolve_labels
from mmcm.utils.functional import pixels_to_uint8_nhwc
from mmcm.visualization import save_image_grid
from .settings import MODEL_NAME, result_path

# Sampling options a user may set; the seed is the inferencer's own.
SAMPLING_OPTIONS = tuple(k for k in DEFAULT_SAMPLING_CFG if k != 'seed')


class ConsistencyModelsInferencer(BaseMMagicInferencer):
    """Sample images from a consistency model or its EDM teacher.

    Follows mmagic's ``ConditionalInferencer``: ``label`` goes to
    :meth:`preprocess`, ``result_out_dir`` to :meth:`visualize` (an image
    grid), ``get_datasample`` to :meth:`postprocess`. Checkpoints load
    strictly through :func:`mmcm.apis.init_model`, so official ``.pt``
    files work as they are.

    Extra parameters: ``num_batches`` (the number of images) and any
    sampling option of the model except ``seed`` (``sampler``, ``steps``,
    ``ts``, ``generator``, ...); ``None`` keeps the config's value. The
    ``seed`` argument seeds both the noise and the random class labels, so
    the same seed gives the same images.
    """

    func_kwargs = dict(
        preprocess=['label'],
        forward=[],
        visualize=['result_out_dir'],
        postprocess=['get_datasample'])
    extra_parameters = dict(
        num_batches=4, **{key: None for key in SAMPLING_OPTIONS})

    def __init__(self,
                 config: Union[Config, str],
                 ckpt: Optional[str],
                 device: Optional[str] = None,
                 extra_parameters: Optional[Dict] = None,
                 seed: int = 2022,
                 **kwargs) -> None:
        # mmagic updates ``extra_parameters`` in place: keep a copy per
        # instance so that one inferencer does not change the next.
        self.extra_parameters = dict(type(self).extra_parameters)
        if isinstance(config, str) and not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        super().__init__(config, ckpt, device, extra_parameters, seed,
                         **kwargs)

    def _init_model(self, cfg: Config, ckpt: Optional[str], device):
        """Build the model and load ``ckpt`` strictly (official or mmengine).
        """
        if not ckpt:
            warnings.warn('no checkpoint given: sampling from randomly '
                          'initialised weights', stacklevel=2)
        # mmagic made its scope current; our config is built in ours.
        with DefaultScope.overwrite_default_scope('mmcm'):
            return init_model(cfg, ckpt or None, device=device)

    def _init_pipeline(self, cfg: Config) -> None:
        """Generation needs no data pipeline."""
        return None

    def _init_collate(self, cfg: Config):
        """Inputs are not batched from a dataset: no collate function.

        (mmengine would look for one in the ``mmagic`` scope, which has no
        function registry, and warn about it.)
        """
        return pseudo_collate

    def _init_visualizer(self, cfg: Config) -> None:
        """Grids are written by :meth:`visualize`; no mmengine visualizer."""
        return None

    def _init_extra_parameters(self, extra_parameters: Optional[Dict]):
        self._set_extra_parameters(extra_parameters)

    def _update_extra_parameters(self, **kwargs) -> None:
        self._set_extra_parameters(kwargs.get('extra_parameters'))

    def _set_extra_parameters(self, extra_parameters: Optional[Dict]):
        """Update the extra parameters, refusing names we do not know."""
        extra_parameters = dict(extra_parameters or {})
        unknown = set(extra_parameters) - set(self.extra_parameters)
        if unknown:
            raise ValueError(
                f'unknown extra parameters {sorted(unknown)} for '
                f'{MODEL_NAME}; known: {sorted(self.extra_parameters)} '
                '(the seed is set by --seed)')
        self.extra_parameters.update(extra_parameters)

    def preprocess(self, label: InputsType = None) -> Dict:
        """Model inputs: image count, one label per image, sampling options.

        Args:
            label: A class label for every image, one label per image, or
                ``None`` for seeded random labels (conditional models only).
        """
        num_batches = int(self.extra_parameters['num_batches'])
        if num_batches < 1:
            raise ValueError(f'num_batches must be positive, got '
                             f'{num_batches}')
        labels = resolve_labels(self.model.num_classes, num_batches,
                                _label_list(label),
                                self.seed)
        options = {key: self.extra_parameters[key]
                   for key in SAMPLING_OPTIONS
                   if self.extra_parameters[key] is not None}
        return dict(num_batches=num_batches, labels=labels, seed=self.seed,
                    **options)

    def forward(self, inputs: Dict) -> PredType:
        """Sample: a ``DataSample`` per image (``fake_img``, ``gt_label``)."""
        return self.model(inputs, mode='predict')

    def visualize(self, preds: PredType,
                  result_out_dir: str = '') -> np.ndarray:
        """The samples as uint8 ``(N, H, W, C)``, saved as a grid if asked.

        Args:
            preds: The ``DataSample``s of :meth:`forward`.
            result_out_dir: An image file (``out.png``) or a folder for
                ``consistency_models.png``; empty to save nothing.
        """
        pixels = torch.stack([pred.fake_img for pred in preds])
        images = pixels_to_uint8_nhwc(pixels)
        if result_out_dir:
            save_image_grid(images, result_path(result_out_dir))
        return images

    def postprocess(self,
                    preds: PredType,
                    imgs: Optional[np.ndarray] = None,
                    get_datasample: bool = False) -> tuple:
        """``(results, imgs)`` for all samples, not only the first.

        ``results`` holds the ``DataSample``s if ``get_datasample``, else a
        dict per sample (``fake_img`` and, if conditional, ``gt_label``).
        """
        if get_datasample:
            return list(preds), imgs
        return [self._pred2dict(pred) for pred in preds], imgs

    def _pred2dict(self, data_sample: DataSample) -> Dict:
        """``fake_img`` (float CHW in [0, 255]) and ``gt_label`` if any."""
        result = dict(fake_img=data_sample.fake_img.cpu())
        if 'gt_label' in data_sample:
            result['gt_label'] = int(data_sample.gt_label.label)
        return result


def _label_list(label: InputsType) -> Optional[List[int]]:
    """``None``, one label or many labels as a list of ints."""
    if label is None:
        return None
    if isinstance(label, (int, np.integer)):
        return [int(label)]
    if torch.is_tensor(label) or isinstance(label, np.ndarray):
        return [int(v) for v in label.reshape(-1).tolist()]
    if isinstance(label, Sequence) and not isinstance(label, str):
        return [int(v) for v in label]
    raise ValueError(f'label must be an int or a sequence of ints, got '
                     f'{label!r}')
