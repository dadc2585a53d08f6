"""The plugin contract: light import, lazy registration, mmengine scopes."""
import subprocess
import sys

from mmengine import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope

from .conftest import TINY_CONFIG


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, '-c', code], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def test_import_mmcm_is_light():
    out = run_python(
        'import sys, mmcm, mmcm.apis, mmcm.models\n'
        'heavy = [m for m in ("mmagic.models", "mmagic.apis", "mmcv.ops", '
        '"lpips") if m in sys.modules]\n'
        'print(heavy)')
    assert out == '[]'


def test_registry_imports_modules_lazily():
    out = run_python(
        'from mmcm.registry import MODELS\n'
        'unet = MODELS.build(dict(type="ADMUNet", image_size=16, '
        'model_channels=32, num_res_blocks=1, attention_resolutions=(8,), '
        'channel_mult=(1, 2), num_head_channels=16))\n'
        'print(type(unet).__module__)')
    assert out == 'mmcm.models.unets.adm_unet'


def test_root_registry_builds_in_mmcm_scope():
    cfg = Config.fromfile(TINY_CONFIG)
    with DefaultScope.overwrite_default_scope('mmcm'):
        model = ROOT_MODELS.build(cfg.model)
    assert type(model).__name__ == 'ConsistencyModel'
    assert model.unet.num_classes == 10
