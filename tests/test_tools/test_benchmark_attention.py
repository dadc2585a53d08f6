"""tools/benchmark_attention.py: the math backend's JVP memory grows with
L^2, the blockwise rule's with L."""
import sys

from ..conftest import REPO


def test_largest_tensor_is_quadratic_for_math_and_linear_for_blockwise():
    sys.path.insert(0, REPO)
    from tools.benchmark_attention import main
    small, large = main(['--lengths', '128', '512', '--heads', '1',
                         '--head-dim', '8'])
    # (1, 1, L, L) float32 scores against (1, 1, L, 2 x 128): a block of
    # 128 keys, twice in one fused product
    assert small['math'] * 2**20 == 128 * 128 * 4
    assert large['math'] / small['math'] == 16
    assert large['blockwise'] * 2**20 == 512 * 256 * 4
    assert large['blockwise'] / small['blockwise'] == 4
