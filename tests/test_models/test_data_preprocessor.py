import numpy as np
import torch

from mmcm.models import ConsistencyDataPreprocessor


def test_uint8_to_unit_range_and_back():
    pixels = torch.tensor([0, 127, 255], dtype=torch.uint8).reshape(1, 3, 1,
                                                                    1)
    x = ConsistencyDataPreprocessor.normalize(pixels)
    assert torch.allclose(x.flatten(), torch.tensor([-1.0, 127 / 127.5 - 1,
                                                     1.0]))
    back = ConsistencyDataPreprocessor.destruct(
        torch.tensor([-1.0, 0.0, 1.0, 1.5]).reshape(1, 4, 1, 1))
    assert back.flatten().tolist() == [0.0, 127.5, 255.0, 255.0]


def test_forward_accepts_hwc_list_and_keeps_labels():
    pre = ConsistencyDataPreprocessor()
    images = [np.full((4, 4, 3), 255, np.uint8), np.zeros((4, 4, 3),
                                                          np.uint8)]
    out = pre(dict(inputs=dict(img=images, labels=torch.tensor([1, 2]))))
    assert out['inputs']['img'].shape == (2, 3, 4, 4)
    assert out['inputs']['img'][0].min() == 1
    assert out['inputs']['img'][1].max() == -1
    assert out['inputs']['labels'].tolist() == [1, 2]
