"""Safe loading of EDM2/ECT ``.pkl`` network snapshots.

The snapshots are written here the way the published ones are laid out:
a ``dnnlib.util.EasyDict`` holding networks that pickle as
``torch_utils.persistence._reconstruct_persistent_obj(meta)`` records with
their module's source text. The writer modules exist in ``sys.modules``
only while a file is written, so the reader cannot lean on them.
"""
import os.path as osp
import pickle
import subprocess
import sys
import types
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from mmcm.utils.checkpoint import CheckpointError
from mmcm.utils.safe_pickle import (ALLOWED, PersistentRecord,
                                    UnsafePickleError,
                                    convert_network_pickle,
                                    load_network_pickle, load_pickle,
                                    record_kwargs, record_state_dict)

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import convert_pickle  # noqa: E402

PERSISTENCE = 'torch_utils.persistence'
WRITER_MODULES = ('dnnlib', 'dnnlib.util', 'torch_utils', PERSISTENCE)
NETWORK_SRC = '"""Networks."""\nimport torch\n\n\nclass Precond:\n    pass\n'


def fake_writer_modules() -> dict:
    """``dnnlib.util.EasyDict`` and ``torch_utils.persistence`` stand-ins
    that let :mod:`pickle` name those globals."""
    util = types.ModuleType('dnnlib.util')
    util.EasyDict = type('EasyDict', (dict, ), {'__module__': 'dnnlib.util'})
    dnnlib = types.ModuleType('dnnlib')
    dnnlib.util, dnnlib.EasyDict = util, util.EasyDict

    def reconstruct(meta):
        raise AssertionError('the reader called the writer\'s code')

    reconstruct.__module__ = PERSISTENCE
    reconstruct.__name__ = reconstruct.__qualname__ = \
        '_reconstruct_persistent_obj'
    persistence = types.ModuleType(PERSISTENCE)
    persistence._reconstruct_persistent_obj = reconstruct
    torch_utils = types.ModuleType('torch_utils')
    torch_utils.persistence = persistence
    return dict(zip(WRITER_MODULES, (dnnlib, util, torch_utils,
                                     persistence)))


class Persistent:
    """Pickles as a persistent-class record with embedded source text."""

    module_src = NETWORK_SRC

    def remember(self, *args, **kwargs):
        self._init_args, self._init_kwargs = args, kwargs

    def __reduce__(self):
        meta = dict(type='class', version=6, module_src=self.module_src,
                    class_name=type(self).__name__, state=self.__dict__)
        return sys.modules[PERSISTENCE]._reconstruct_persistent_obj, (meta, )


class MPConv(Persistent, nn.Module):

    def __init__(self, cin, cout, kernel):
        super().__init__()
        self.out_channels = cout
        self.weight = nn.Parameter(torch.randn(cout, cin, *kernel))
        self.remember(cin, cout, kernel=kernel)


class MPFourier(Persistent, nn.Module):

    def __init__(self, channels, bandwidth=1):
        super().__init__()
        self.register_buffer('freqs', torch.randn(channels) * bandwidth)
        self.register_buffer('phases', torch.rand(channels))
        self.remember(channels, bandwidth=bandwidth)


class UNet(Persistent, nn.Module):

    def __init__(self, channels, channel_mult):
        super().__init__()
        self.out_gain = nn.Parameter(torch.randn([]))
        self.emb_fourier = MPFourier(channels)
        self.enc = nn.ModuleDict()
        self.enc['8x8_conv'] = MPConv(3, channels, [3, 3])
        self.enc['4x4_down'] = nn.Linear(channels, channels * channel_mult[1])
        self.register_module('attn_qkv', None)
        self.remember(channels=channels, channel_mult=channel_mult)


class Precond(Persistent, nn.Module):

    def __init__(self, img_resolution, label_dim, unet_kwargs):
        super().__init__()
        self.label_dim = label_dim
        self.sigma_data = 0.5
        self.unet = UNet(**unet_kwargs)
        self.logvar_fourier = MPFourier(8)
        self.logvar_linear = MPConv(8, 1, [])
        self.register_buffer('scratch', torch.zeros(2), persistent=False)
        self.remember(img_resolution=img_resolution, label_dim=label_dim,
                      unet_kwargs=unet_kwargs)


class StabilityVAEEncoder(Persistent):

    def __init__(self, raw_mean, raw_std):
        self.vae_name = 'stabilityai/sd-vae-ft-mse'
        self.scale = np.float32(0.5) / np.float32(raw_std)
        self.bias = -np.float32(raw_mean) * self.scale
        self.gain = np.float64(1.25)
        self.batch_size = 8
        self._vae = None
        self.remember(raw_mean=raw_mean, raw_std=raw_std)


class EDM2Loss(Persistent):

    def __init__(self, P_mean=-0.4, P_std=1.0):
        self.P_mean, self.P_std, self.sigma_data = P_mean, P_std, 0.5
        self.remember(P_mean=P_mean, P_std=P_std)


def write_snapshot(monkeypatch, path, protocol=4, module_src=NETWORK_SRC):
    """Write a snapshot laid out as the published ones; return the EMA
    network and the snapshot dict as written."""
    torch.manual_seed(0)
    with monkeypatch.context() as patch:
        for name, module in fake_writer_modules().items():
            patch.setitem(sys.modules, name, module)
        patch.setattr(Persistent, 'module_src', module_src)
        easy = sys.modules['dnnlib.util'].EasyDict
        net = Precond(img_resolution=8, label_dim=0, unet_kwargs=easy(
            channels=4, channel_mult=[1, 2])).eval().requires_grad_(False)
        data = easy(encoder=StabilityVAEEncoder([5.81, 3.25], [4.17, 4.62]),
                    dataset_kwargs=easy(class_name='training.dataset.'
                                        'ImageFolderDataset', path='x.zip'),
                    loss_fn=EDM2Loss(), ema=net.to(torch.float16))
        with open(path, 'wb') as f:
            pickle.dump(data, f, protocol=protocol)
    assert not set(WRITER_MODULES) & set(sys.modules)
    return net, data


def global_call(module, name, *args) -> bytes:
    """A pickle calling ``module.name(*args)`` through a ``GLOBAL``."""
    call_args = pickle.dumps(args, protocol=2)[2:-1]
    return (b'\x80\x02c' + f'{module}\n{name}\n'.encode() + call_args +
            b'R.')


def touch_payloads(marker):
    """``(global, pickle)`` pairs that create ``marker`` when unpickled."""
    code = f'open({str(marker)!r}, "w").close()'
    return {
        'os.system': global_call('os', 'system', f'touch "{marker}"'),
        'builtins.eval': global_call('builtins', 'eval', code),
        'subprocess.Popen': global_call('subprocess', 'Popen',
                                        [sys.executable, '-c', code]),
    }


def run_unsafely(payload: bytes) -> None:
    """Positive control: plain :func:`pickle.loads`, waiting for any child
    process it starts."""
    try:
        result = pickle.loads(payload)
    except Exception:  # the inner loads fail after running the payload
        return
    if isinstance(result, subprocess.Popen):
        result.wait(timeout=60)


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_state_dict_matches_the_network(monkeypatch, tmp_path, protocol):
    path = tmp_path / 'network-snapshot-0000000.pkl'
    net, _ = write_snapshot(monkeypatch, path, protocol=protocol)
    expected = net.state_dict()
    record = load_network_pickle(str(path))
    state = record_state_dict(record)
    assert list(state) == list(expected) == [
        'unet.out_gain', 'unet.emb_fourier.freqs', 'unet.emb_fourier.phases',
        'unet.enc.8x8_conv.weight', 'unet.enc.4x4_down.weight',
        'unet.enc.4x4_down.bias', 'logvar_fourier.freqs',
        'logvar_fourier.phases', 'logvar_linear.weight']
    for name, tensor in expected.items():
        assert state[name].dtype == torch.float16, name
        assert state[name].shape == tensor.shape, name
        assert torch.equal(state[name], tensor), name
        assert type(state[name]) is torch.Tensor, name
    assert record.class_name == 'Precond' and record.version == 6
    assert record.module_src == NETWORK_SRC
    unet = record.children['unet']
    assert list(unet.children) == ['emb_fourier', 'enc', 'attn_qkv']
    assert unet.children['attn_qkv'] is None
    enc = unet.children['enc']
    assert enc.class_name == 'torch.nn.modules.container.ModuleDict'
    assert enc.children['4x4_down'].class_name == \
        'torch.nn.modules.linear.Linear'
    assert record.non_persistent_buffers == {'scratch'}
    assert torch.equal(record.buffers['scratch'], torch.zeros(2).half())
    assert record.state['sigma_data'] == 0.5 and not record.state['training']


def test_kwargs_and_plain_entries_come_back(monkeypatch, tmp_path):
    path = tmp_path / 'snapshot.pkl'
    write_snapshot(monkeypatch, path)
    record = load_network_pickle(str(path))
    kwargs = record_kwargs(record)
    assert kwargs == {'img_resolution': 8, 'label_dim': 0,
                      'unet_kwargs': {'channels': 4, 'channel_mult': [1, 2]}}
    assert type(kwargs['unet_kwargs']) is dict
    conv = record.children['logvar_linear']
    assert (conv.init_args, conv.init_kwargs) == ((8, 1), {'kernel': []})
    assert record_kwargs(conv) == {'kernel': [], '*args': [8, 1]}
    data = load_pickle(str(path))
    assert type(data) is dict
    assert list(data) == ['encoder', 'dataset_kwargs', 'loss_fn', 'ema']
    assert data['dataset_kwargs'] == {
        'class_name': 'training.dataset.ImageFolderDataset', 'path': 'x.zip'}
    loss = load_network_pickle(str(path), key='loss_fn')
    assert loss.class_name == 'EDM2Loss'
    assert record_kwargs(loss) == {'P_mean': -0.4, 'P_std': 1.0}
    assert record_state_dict(loss) == OrderedDict()
    encoder = data['encoder'].state
    np.testing.assert_array_equal(
        encoder['scale'], np.float32(0.5) / np.float32([4.17, 4.62]))
    assert encoder['scale'].dtype == np.float32
    assert encoder['gain'] == 1.25 and type(encoder['gain']) is np.float64
    assert record_kwargs(data['encoder']) == {'raw_mean': [5.81, 3.25],
                                              'raw_std': [4.17, 4.62]}


def test_embedded_source_is_kept_and_never_run(monkeypatch, tmp_path):
    marker = tmp_path / 'source_ran'
    src = f'open({str(marker)!r}, "w").write("ran")\n'
    exec(compile(src, 'payload', 'exec'), {})  # the payload is real
    assert marker.exists()
    marker.unlink()
    path = tmp_path / 'snapshot.pkl'
    write_snapshot(monkeypatch, path, module_src=src)
    record = load_network_pickle(str(path))
    assert record.module_src == src
    assert record.children['unet'].children['emb_fourier'].module_src == src
    assert len(record_state_dict(record)) == 9
    assert not marker.exists()


@pytest.mark.parametrize('name',
                         ['os.system', 'builtins.eval', 'subprocess.Popen'])
def test_dangerous_globals_are_refused(tmp_path, name):
    marker = tmp_path / 'payload_ran'
    payload = touch_payloads(marker)[name]
    run_unsafely(payload)
    assert marker.exists(), 'the payload must work with plain pickle'
    marker.unlink()
    path = tmp_path / 'evil.pkl'
    path.write_bytes(payload)
    with pytest.raises(UnsafePickleError) as info:
        load_network_pickle(str(path))
    assert str(info.value) == f'refusing to load {name} from {path}: ' \
        f'{ALLOWED}'
    assert not marker.exists()


class FakeStorage:
    """Pickles as ``torch.storage._load_from_bytes(data)``."""

    def __init__(self, data):
        self.data = data

    def __reduce__(self):
        return torch.storage._load_from_bytes, (self.data, )


class FakeTensor:
    """Pickles as ``torch._utils._rebuild_tensor_v2`` of a storage."""

    def __init__(self, data):
        self.storage = FakeStorage(data)

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, 0, (1, ),
                                                 (1, ), False, OrderedDict())


def legacy_header() -> bytes:
    """The first three pickles of a legacy ``torch.save`` byte string."""
    sys_info = dict(protocol_version=1001, little_endian=True,
                    type_sizes=dict(short=2, int=4, long=4))
    return b''.join(pickle.dumps(v, protocol=2) for v in (
        torch.serialization.MAGIC_NUMBER, 1001, sys_info))


@pytest.mark.parametrize('header', [False, True])
def test_storage_with_a_malicious_inner_pickle_is_refused(tmp_path, header):
    marker = tmp_path / 'inner_ran'
    inner = (legacy_header() if header else b'') + \
        touch_payloads(marker)['os.system']
    outer = pickle.dumps({'ema': FakeTensor(inner)}, protocol=4)
    run_unsafely(outer)
    assert marker.exists(), 'the payload must work with plain pickle'
    marker.unlink()
    path = tmp_path / 'evil.pkl'
    path.write_bytes(outer)
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(str(path))
    message = str(info.value)
    assert message.startswith(f'refusing to load a tensor storage from '
                              f'{path}: its embedded pickle is not a plain '
                              'storage (')
    assert '\n' not in message
    assert not marker.exists()


def test_genuine_storage_bytes_load(tmp_path):
    tensor = torch.arange(6, dtype=torch.float16).reshape(2, 3)
    path = tmp_path / 'tensors.pkl'
    path.write_bytes(pickle.dumps(
        {'t': tensor.t(), 'p': nn.Parameter(tensor, requires_grad=False)}))
    data = load_pickle(str(path))
    assert torch.equal(data['t'], tensor.t())
    assert data['t'].stride() == (1, 3)
    assert isinstance(data['p'], nn.Parameter)
    assert torch.equal(data['p'].data, tensor)


class PersistentIdPickler(pickle.Pickler):
    """Saves every string ``'net'`` as the persistent id ``'storage-0'``."""

    def persistent_id(self, obj):
        return 'storage-0' if obj == 'net' else None


def test_unknown_persistent_ids_and_records_are_refused(tmp_path):
    path = tmp_path / 'pid.pkl'
    with open(path, 'wb') as f:
        PersistentIdPickler(f, protocol=4).dump({'ema': 'net'})
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(str(path))
    assert str(info.value) == (f"refusing to load persistent id 'storage-0' "
                               f'from {path}: network pickles hold no '
                               'persistent ids')
    meta = dict(type='function', version=6, module_src=NETWORK_SRC,
                class_name='Precond', state={})
    path.write_bytes(global_call(PERSISTENCE, '_reconstruct_persistent_obj',
                                 meta))
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(str(path))
    assert str(info.value) == (
        f"refusing to load a persistent record of type 'function' from "
        f"{path}: only 'class' records are allowed")
    path.write_bytes(global_call(PERSISTENCE, 'import_hook', 'x'))
    with pytest.raises(UnsafePickleError, match='torch_utils.persistence'
                       '.import_hook from'):
        load_pickle(str(path))


def test_torch_modules_are_never_constructed(tmp_path):
    path = tmp_path / 'call.pkl'
    path.write_bytes(global_call('torch.nn.modules.linear', 'Linear', 2, 3))
    with pytest.raises(UnsafePickleError, match='refusing to call torch.nn.'
                       'modules.linear.Linear'):
        load_pickle(str(path))
    path.write_bytes(global_call('torch.nn.modules.module', 'Tensor', 2))
    with pytest.raises(UnsafePickleError, match='module.Tensor from'):
        load_pickle(str(path))


def test_missing_entries_are_named(monkeypatch, tmp_path):
    path = tmp_path / 'snapshot.pkl'
    write_snapshot(monkeypatch, path)
    with pytest.raises(CheckpointError, match="no 'net' entry; it has "
                       r"\['dataset_kwargs', 'ema', 'encoder', 'loss_fn'\]"):
        load_network_pickle(str(path), key='net')
    with pytest.raises(CheckpointError, match=r"\['dataset_kwargs'\] is a "
                       'dict, not a network'):
        load_network_pickle(str(path), key='dataset_kwargs')
    with pytest.raises(CheckpointError, match='network pickle not found'):
        load_network_pickle(str(tmp_path / 'absent.pkl'))


@pytest.mark.parametrize('dtype', [None, torch.float32])
def test_converter_round_trip(monkeypatch, tmp_path, dtype):
    src, dst = tmp_path / 'snapshot.pkl', tmp_path / 'out' / 'net.pth'
    net, _ = write_snapshot(monkeypatch, src)
    convert_network_pickle(str(src), str(dst), dtype=dtype)
    saved = torch.load(dst, weights_only=True)
    expected = net.state_dict()
    assert list(saved['state_dict']) == list(expected)
    for name, tensor in expected.items():
        assert saved['state_dict'][name].dtype == (dtype or torch.float16)
        assert torch.equal(saved['state_dict'][name], tensor.to(dtype))
    assert saved['meta'] == {
        'class_name': 'Precond', 'source': str(src), 'key': 'ema',
        'init_kwargs': {'img_resolution': 8, 'label_dim': 0, 'unet_kwargs': {
            'channels': 4, 'channel_mult': [1, 2]}}}
    encoder_dst = tmp_path / 'encoder.pth'
    convert_network_pickle(str(src), str(encoder_dst), key='encoder')
    meta = torch.load(encoder_dst, weights_only=True)['meta']
    assert meta['init_kwargs'] == {'raw_mean': [5.81, 3.25],
                                   'raw_std': [4.17, 4.62]}


def test_cli(monkeypatch, tmp_path, capsys):
    src, dst = tmp_path / 'snapshot.pkl', tmp_path / 'net.pth'
    net, _ = write_snapshot(monkeypatch, src)
    assert convert_pickle.main([str(src), str(dst), '--float32']) == 0
    numel = sum(t.numel() for t in net.state_dict().values())
    assert numel == 1 + 4 + 4 + 4 * 3 * 9 + 8 * 4 + 8 + 8 + 8 + 8
    assert capsys.readouterr().out == (
        f'saved 9 tensors ({numel:,} parameters) of Precond to {dst}\n')
    state = torch.load(dst, weights_only=True)['state_dict']
    assert state['unet.enc.8x8_conv.weight'].dtype == torch.float32
    evil = tmp_path / 'evil.pkl'
    evil.write_bytes(global_call('os', 'system', 'true'))
    assert convert_pickle.main([str(evil), str(tmp_path / 'x.pth')]) == 1
    err = capsys.readouterr().err
    assert err == (f'error: refusing to load os.system from {evil}: '
                   f'{ALLOWED}\n')
    assert not (tmp_path / 'x.pth').exists()


def test_records_are_plain_dataclasses(monkeypatch, tmp_path):
    path = tmp_path / 'snapshot.pkl'
    write_snapshot(monkeypatch, path)
    record = load_network_pickle(str(path))
    assert isinstance(record, PersistentRecord)
    assert repr(record).startswith("PersistentRecord(class_name='Precond', "
                                   'version=6, init_args=()')
    assert NETWORK_SRC not in repr(record)


class Reduced:
    """Pickles as ``func(*args)`` followed by ``BUILD`` with ``state``."""

    def __init__(self, func, args, state=None):
        self.reduced = (func, args) + ((state, ) if state is not None
                                       else ())

    def __reduce__(self):
        return self.reduced


def load_bytes(tmp_path, obj) -> object:
    path = tmp_path / 'crafted.pkl'
    path.write_bytes(pickle.dumps(obj, protocol=2))
    from mmcm.utils.safe_pickle import load_pickle
    return load_pickle(str(path))


def test_numpy_arrays_and_scalars_come_back_checked(tmp_path):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    loaded = load_bytes(tmp_path, dict(a=array, f=np.asfortranarray(array),
                                       s=np.float64(2.5), u=np.str_('x')))
    np.testing.assert_array_equal(loaded['a'], array)
    np.testing.assert_array_equal(loaded['f'], array)
    assert loaded['a'].dtype == np.float32 and loaded['s'] == 2.5
    assert loaded['u'] == 'x'


def test_a_dtype_with_a_forged_state_is_refused(tmp_path):
    """``BUILD`` on a dtype may not give it fields of any kind (numpy
    accepts non-dtype entries there, a memory-unsafe type confusion)."""
    forged = (3, '|', None, ('a', ), {'a': ('junk', 0)}, 8, 1, 0x10)
    for spec in ('f4', 'V8'):  # an allowed dtype's BUILD; a void dtype
        crafted = Reduced(np.dtype, (spec, False, True), forged)
        with pytest.raises(UnsafePickleError, match='numpy dtype'):
            load_bytes(tmp_path, crafted)
    with pytest.raises(UnsafePickleError, match='numpy dtype'):
        load_bytes(tmp_path, Reduced(np.dtype, ([('a', 'f4')], False, True)))


def test_records_and_numpy_constructors_cannot_be_reached(tmp_path):
    with pytest.raises(UnsafePickleError, match='numpy.ndarray'):
        load_bytes(tmp_path, Reduced(np.ndarray, ((4, ), 'u1', b'abcd')))
    record = PersistentRecord('Net', '', 6, (), {}, {}, OrderedDict(),
                              OrderedDict(), OrderedDict(), frozenset())
    with pytest.raises(UnsafePickleError, match='modify a network record'):
        record.__setstate__({'children': {'a': 'junk'}})
