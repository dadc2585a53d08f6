import functools
import http.server
import threading

import pytest
import torch

from mmcm.apis import CheckpointError, init_model
from mmcm.apis.model_zoo import fitting_configs

from ..conftest import TINY_EDM_CONFIG, REPO


def test_official_checkpoint_round_trip(tiny_config, tiny_checkpoint,
                                        tiny_state_dict):
    model = init_model(tiny_config, tiny_checkpoint)
    loaded = model.unet.state_dict()
    assert loaded.keys() == tiny_state_dict.keys()
    assert all(torch.equal(loaded[k], v) for k, v in tiny_state_dict.items())
    # the same file drives the EDM config of the same architecture
    edm = init_model(TINY_EDM_CONFIG, tiny_checkpoint)
    assert type(edm.parameterisation).__name__ == 'EDMParameterisation'


def test_mmengine_checkpoint_loads(tmp_path, tiny_config, tiny_state_dict):
    path = tmp_path / 'iter_10.pth'
    state = {f'unet.{k}': v for k, v in tiny_state_dict.items()}
    torch.save(dict(meta=dict(iter=10), state_dict=state), path)
    model = init_model(tiny_config, str(path))
    key = 'out.2.weight'
    assert torch.equal(model.unet.state_dict()[key], tiny_state_dict[key])


def test_dtype_option_converts_torso(tiny_config, tiny_checkpoint):
    model = init_model(tiny_config, tiny_checkpoint, dtype='bf16')
    assert model.unet.input_blocks[1][0].in_layers[2].weight.dtype == \
        torch.bfloat16
    with pytest.raises(ValueError, match='dtype'):
        init_model(tiny_config, tiny_checkpoint, dtype='int8')


def test_missing_file(tiny_config, tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        init_model(tiny_config, str(tmp_path / 'nope.pt'))


def test_not_a_checkpoint(tiny_config, tmp_path):
    path = tmp_path / 'notes.pt'
    path.write_text('these are not weights\n')
    with pytest.raises(CheckpointError, match='not a PyTorch checkpoint'):
        init_model(tiny_config, str(path))


def test_truncated_checkpoint(tiny_config, tiny_checkpoint, tmp_path):
    data = open(tiny_checkpoint, 'rb').read()
    path = tmp_path / 'cut.pt'
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='truncated or corrupted'):
        init_model(tiny_config, str(path))


class Opaque:
    pass


def test_unsafe_pickle_is_refused(tiny_config, tmp_path):
    path = tmp_path / 'pickled.pt'
    torch.save({'obj': Opaque()}, path)
    with pytest.raises(CheckpointError,
                       match=r'safe loading \(weights_only=True\) refuses'):
        init_model(tiny_config, str(path))


def test_mismatch_names_keys(tiny_config, tiny_state_dict, tmp_path):
    state = dict(tiny_state_dict)
    state.pop('label_emb.weight')
    state['extra.weight'] = torch.zeros(1)
    state['out.2.bias'] = torch.zeros(6)
    path = tmp_path / 'other.pt'
    torch.save(state, path)
    with pytest.raises(CheckpointError) as err:
        init_model(tiny_config, str(path))
    message = str(err.value)
    assert '1 missing key(s): label_emb.weight' in message
    assert '1 unexpected key(s): extra.weight' in message
    assert '1 shape mismatch key(s): out.2.bias' in message
    assert 'no bundled config fits it' in message
    assert '\n' not in message


def test_fitting_configs_finds_the_zoo_architecture():
    from mmengine import Config

    from mmcm.registry import MODELS
    cfg = Config.fromfile(
        f'{REPO}/configs/_base_/models/cm_adm-unet_imagenet-64x64.py')
    with torch.device('meta'):
        state = MODELS.build(cfg.model.network).state_dict()
    fits = fitting_configs(state)
    assert 'configs/consistency_models/cd-lpips_adm-unet_2step_' \
        'imagenet-64x64.py' in [f[f.index('configs/'):] for f in fits]
    assert all('imagenet' in f for f in fits) and len(fits) == 6


@pytest.fixture
def loopback_server(tmp_path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_url_is_downloaded_once_and_cached(tiny_config, tiny_checkpoint,
                                           tmp_path, loopback_server,
                                           monkeypatch):
    (tmp_path / 'tiny.pt').write_bytes(open(tiny_checkpoint, 'rb').read())
    cache = tmp_path / 'cache'
    monkeypatch.setenv('MMCM_HOME', str(cache))
    url = f'http://127.0.0.1:{loopback_server.server_port}/tiny.pt'
    init_model(tiny_config, url)
    assert (cache / 'checkpoints' / 'tiny.pt').is_file()
    loopback_server.shutdown()
    loopback_server.server_close()
    init_model(tiny_config, url)  # served from the cache
    with pytest.raises(CheckpointError, match='could not download'):
        init_model(tiny_config, url.replace('tiny.pt', 'other.pt'))
