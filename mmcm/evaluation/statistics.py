"""Feature statistics for the Fréchet Inception Distance.

Statistics are the mean ``mu`` and the unbiased covariance ``sigma`` of
Inception pool features, the quantities stored in the reference batches of
OpenAI's evaluator (``VIRTUAL_imagenet64_labeled.npz`` holds ``arr_0``
images plus ``mu``, ``sigma`` and the spatial ``mu_s``, ``sigma_s``).
"""
import warnings
from typing import Tuple

import numpy as np
from scipy import linalg


class FeatureStatistics:
    """Streaming mean and covariance of feature vectors, in float64.

    Batches are combined with the pairwise update of Chan, Golub and LeVeque
    (1979), so the result does not depend on how the features were split into
    batches (up to rounding), and two accumulators can be ``merge``d, e.g.
    after gathering one per rank.
    """

    def __init__(self) -> None:
        self.count = 0
        self._mean = None
        self._m2 = None  # sum of outer products of deviations from the mean

    def update(self, features) -> 'FeatureStatistics':
        """Add a ``(N, D)`` batch of features (any N >= 1)."""
        features = np.asarray(features, dtype=np.float64)
        features = features.reshape(features.shape[0], -1)
        mean = features.mean(axis=0)
        centred = features - mean
        return self._combine(features.shape[0], mean, centred.T @ centred)

    def merge(self, other: 'FeatureStatistics') -> 'FeatureStatistics':
        """Add the features accumulated by ``other`` (e.g. another rank)."""
        if other.count == 0:
            return self
        return self._combine(other.count, other._mean, other._m2)

    def _combine(self, count: int, mean: np.ndarray,
                 m2: np.ndarray) -> 'FeatureStatistics':
        if self.count == 0:
            self.count, self._mean, self._m2 = count, mean.copy(), m2.copy()
            return self
        total = self.count + count
        delta = mean - self._mean
        self._m2 = self._m2 + m2 + np.outer(delta, delta) * (
            self.count * count / total)
        self._mean = self._mean + delta * (count / total)
        self.count = total
        return self

    @property
    def mu(self) -> np.ndarray:
        """Feature mean, shape ``(D,)``."""
        self._check(1)
        return self._mean.copy()

    @property
    def sigma(self) -> np.ndarray:
        """Unbiased covariance (``np.cov(f, rowvar=False)``), ``(D, D)``."""
        self._check(2)
        return self._m2 / (self.count - 1)

    def _check(self, minimum: int) -> None:
        if self.count < minimum:
            raise ValueError(f'need at least {minimum} feature vectors, '
                             f'have {self.count}')


def frechet_distance(mu1: np.ndarray,
                     sigma1: np.ndarray,
                     mu2: np.ndarray,
                     sigma2: np.ndarray,
                     eps: float = 1e-6,
                     method: str = 'eigh') -> float:
    """Fréchet distance between two Gaussians (Heusel et al., 2017).

    ``d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``,
    the FID of "GANs Trained by a Two Time-Scale Update Rule Converge to a
    Local Nash Equilibrium".

    ``method='eigh'`` (default) computes ``Tr (sigma1 sigma2)^(1/2)`` as
    ``sum sqrt(eig(R sigma2 R))`` with ``R = sigma1^(1/2)``: the product
    ``sigma1 sigma2`` is similar to the symmetric ``R sigma2 R``, so the two
    traces are equal, and two symmetric eigendecompositions take seconds
    for 2048-d features where a general square root takes about a minute.
    ``method='sqrtm'`` is the reference implementations' route (TTUR,
    pytorch-fid, OpenAI's evaluator): ``scipy.linalg.sqrtm`` of the product,
    retried with ``eps`` added to both diagonals when not finite, its
    imaginary part accepted only when the diagonal is real to ``1e-3``.

    Args:
        mu1, sigma1: Mean ``(D,)`` and covariance ``(D, D)`` of one set.
        mu2, sigma2: The same for the other set.
        eps: Diagonal offset used when the product is near singular
            (``'sqrtm'`` only).
        method: ``'eigh'`` or ``'sqrtm'``.

    Returns:
        The squared Fréchet distance, as a Python float.
    """
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f'statistics differ in shape: mu {mu1.shape} vs '
                         f'{mu2.shape}, sigma {sigma1.shape} vs '
                         f'{sigma2.shape}')
    if method == 'eigh':
        trace_covmean = _trace_sqrt_product(sigma1, sigma2)
    elif method == 'sqrtm':
        trace_covmean = _trace_sqrtm_product(sigma1, sigma2, eps)
    else:
        raise ValueError(f'unknown method {method!r}; use "eigh" or "sqrtm"')
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) -
                 2 * trace_covmean)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric PSD matrix (negative rounding clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """``Tr (sigma1 sigma2)^(1/2)`` from two symmetric eigenproblems."""
    root = _psd_sqrt(sigma1)
    values = np.linalg.eigvalsh(root @ sigma2 @ root)
    return float(np.sqrt(np.clip(values, 0, None)).sum())


def _trace_sqrtm_product(sigma1: np.ndarray, sigma2: np.ndarray,
                         eps: float) -> float:
    """``Tr (sigma1 sigma2)^(1/2)`` with ``scipy.linalg.sqrtm``."""
    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        warnings.warn('FID: singular product of covariances; adding '
                      f'{eps} to the diagonals', stacklevel=3)
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        max_imag = np.max(np.abs(np.diagonal(covmean).imag))
        if max_imag > 1e-3:
            raise ValueError(f'FID: imaginary component {max_imag} in the '
                             'matrix square root')
        covmean = covmean.real
    return float(np.trace(covmean))


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    """Matrix square root; scipy's accuracy warnings are not errors here."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', linalg.LinAlgWarning)
        warnings.simplefilter('ignore', RuntimeWarning)
        return linalg.sqrtm(matrix)


def save_statistics(path: str, mu: np.ndarray, sigma: np.ndarray) -> None:
    """Write ``mu`` and ``sigma`` to an ``.npz`` (the official key names)."""
    np.savez(path, mu=np.asarray(mu, np.float64),
             sigma=np.asarray(sigma, np.float64))


def load_statistics(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read ``(mu, sigma)`` from an ``.npz``.

    Works for files written by :func:`save_statistics` and for OpenAI's
    reference batches, whose other arrays (``arr_0``, ``mu_s``, ...) are
    not read.
    """
    with np.load(path) as data:
        missing = [key for key in ('mu', 'sigma') if key not in data.files]
        if missing:
            raise KeyError(f'{path} has no {missing} arrays (has '
                           f'{data.files}); FID statistics need "mu" and '
                           '"sigma"')
        return (data['mu'].astype(np.float64),
                data['sigma'].astype(np.float64))
