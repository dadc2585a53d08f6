"""Generated images as the data samples of mmagic and mmengine."""
from typing import List, Optional

import torch

from mmcm.utils.functional import to_pixels


def pack_data_samples(images: torch.Tensor, labels: Optional[torch.Tensor],
                      indices: Optional[List[int]] = None) -> list:
    """Generated images in [-1, 1] as data samples (:func:`new_data_sample`)
    with ``fake_img`` in [0, 255], and ``sample_index`` where given."""
    pixels = to_pixels(images).cpu()
    samples = []
    for i, image in enumerate(pixels):
        sample = new_data_sample(
            image, None if labels is None else labels[i].cpu())
        if indices is not None:
            sample.set_metainfo(dict(sample_index=indices[i]))
        samples.append(sample)
    return samples


def new_data_sample(image: torch.Tensor, label: Optional[torch.Tensor]):
    """A generated image as mmagic's ``DataSample`` (``fake_img`` and a
    ``gt_label`` holding ``LabelData(label=...)``); where mmagic is not
    installed (a bare GPU machine), mmengine's data element of the same
    layout, which the metrics and the visualiser read alike."""
    try:
        from mmagic.structures import DataSample
    except ImportError:
        from mmengine.structures import BaseDataElement, LabelData
        sample = BaseDataElement(fake_img=image)
        if label is not None:
            sample.gt_label = LabelData(label=label.reshape(-1).long())
        return sample
    sample = DataSample(fake_img=image)
    if label is not None:
        sample.set_gt_label(label)
    return sample
