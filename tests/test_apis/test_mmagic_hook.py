"""``import mmcm`` teaches mmagic's inferencer, in either import order."""
import subprocess
import sys

import pytest

pytest.importorskip('mmagic')

CHECK = ('print("consistency_models" in '
         'MMagicInferencer.inference_supported_models)')


@pytest.mark.parametrize('imports', [
    'import mmcm\nfrom mmagic.apis import MMagicInferencer',
    'from mmagic.apis import MMagicInferencer\nimport mmcm',
])
def test_import_order_does_not_matter(imports):
    code = f'import sys, warnings\nwarnings.simplefilter("ignore")\n' \
        f'{imports}\n{CHECK}'
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ['True']


def test_import_mmcm_alone_leaves_mmagic_unloaded():
    code = 'import sys, mmcm\nprint("mmagic" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == 'False'
