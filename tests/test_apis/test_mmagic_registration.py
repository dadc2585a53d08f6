"""mmagic learns ``consistency_models`` when asked, and only then."""
import subprocess
import sys

import pytest

pytest.importorskip('mmagic')

CHECK = ('print("consistency_models" in '
         'MMagicInferencer.inference_supported_models)')
REGISTER = ('from mmcm.apis.inferencers import register_mmagic_inferencer\n'
            'register_mmagic_inferencer()\nregister_mmagic_inferencer()')


def run(code: str) -> list:
    code = f'import sys, warnings\nwarnings.simplefilter("ignore")\n{code}'
    return subprocess.run([sys.executable, '-c', code], check=True,
                          capture_output=True, text=True).stdout.split()


def test_registration_is_explicit_and_idempotent():
    # One process (importing mmagic takes seconds): before and after.
    before, *after = run(
        f'import mmcm\nfrom mmagic.apis import MMagicInferencer\n{CHECK}\n'
        f'{REGISTER}\n{CHECK}\nprint(MMagicInferencer.'
        'inference_supported_models.count("consistency_models"))')
    assert [before] == ['False']
    assert after == ['True', '1']


def test_import_mmcm_alone_leaves_mmagic_unloaded():
    assert run('import mmcm\nprint("mmagic" in sys.modules)') == ['False']
