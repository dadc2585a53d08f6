"""Safe reading of EDM2-style ``.pkl`` network snapshots.

NVlabs/edm2 and ECT publish networks as plain Python pickles in which every
network is a *persistent-class record*: a call of
``torch_utils.persistence._reconstruct_persistent_obj(meta)`` whose ``meta``
holds the class's source code and the instance's ``__dict__``. Loading such
a file with :func:`pickle.load` imports and runs that source, and the tensor
storages inside it are nested ``torch.load(weights_only=False)`` calls.

:class:`SafeUnpickler` rebuilds only tensors, plain containers, numpy
arrays and scalars, and turns each network into a :class:`PersistentRecord`
whose source code is kept as a string and never run. Every other global is
refused with :class:`UnsafePickleError`.

Example:
    record = load_network_pickle('edm2-img64-s-1073741-0.075.pkl')
    state = record_state_dict(record)  # the names state_dict() gives
"""
import io
import os
import os.path as osp
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch

from .errors import CheckpointError

ALLOWED = ('only tensors, plain containers and persistent network records '
           'are allowed')
PERSISTENT_MODULE = 'torch_utils.persistence'
TORCH_MODULES = 'torch.nn.modules.'
NUMPY_CORE = ('numpy.core', 'numpy._core')


class UnsafePickleError(CheckpointError):
    """A pickle asks for something that safe loading does not rebuild."""


@dataclass
class PersistentRecord:
    """A network (or other object) of a pickle, rebuilt as plain data.

    Attributes:
        class_name: The class's name (``'Precond'``); for plain ``torch.nn``
            containers the dotted path (``'torch.nn.modules.container.
            ModuleDict'``).
        module_src: The source code of the class's module, as a string that
            is never run; empty for ``torch.nn`` classes.
        version: The persistence format version, ``None`` for ``torch.nn``.
        init_args: Positional arguments the constructor was called with.
        init_kwargs: Keyword arguments the constructor was called with.
        state: The instance's ``__dict__`` as pickled.
        parameters: ``_parameters`` of a module (name -> tensor or None).
        buffers: ``_buffers`` of a module (name -> tensor or None).
        children: ``_modules`` of a module (name -> record or None).
        non_persistent_buffers: Buffers that ``state_dict()`` leaves out.
    """
    class_name: str
    module_src: str = field(repr=False)
    version: Optional[int]
    init_args: tuple
    init_kwargs: dict
    state: dict = field(repr=False)
    parameters: 'OrderedDict[str, Optional[torch.Tensor]]' = field(
        repr=False)
    buffers: 'OrderedDict[str, Optional[torch.Tensor]]' = field(repr=False)
    children: 'OrderedDict[str, Optional[PersistentRecord]]' = field(
        repr=False)
    non_persistent_buffers: frozenset = field(repr=False)

    def __setstate__(self, state: Any) -> None:
        # A pickle's BUILD would overwrite the checked fields.
        raise UnsafePickleError('refusing to modify a network record')


def _short(text: Any, limit: int = 80) -> str:
    """``text`` on one printable line of at most ``limit`` characters."""
    text = str(text)
    text = text if text.isprintable() else ascii(text)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _empty_hooks(hooks: Any) -> bool:
    """Whether ``hooks`` is the empty mapping that torch pickles."""
    return isinstance(hooks, dict) and not hooks


def _is_int_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(v, int) and v >= 0 for v in value)


def _module_dict(state: dict, key: str) -> 'OrderedDict[str, Any]':
    """``state[key]`` (``_parameters`` and the like) as an OrderedDict."""
    value = state.get(key) or {}
    if not isinstance(value, dict):
        raise UnsafePickleError(f'a module\'s {key} is a '
                                f'{type(value).__name__}, not a dict')
    return OrderedDict(value)


NUMPY_KINDS = 'biufc?SU'  # numbers, booleans, byte and unicode strings


class _NDArrayName:
    """What the global ``numpy.ndarray`` names while a pickle is read: a
    marker that ``_reconstruct`` accepts as its subtype, never called."""

    def __new__(cls, *args, **kwargs):
        raise UnsafePickleError('refusing to call numpy.ndarray: only the '
                                'plain array records of numpy are allowed')


class _DTypeStub:
    """Stands in for a numpy dtype while a pickle is read; ``BUILD`` may
    only hand it the state the canonical dtype itself pickles with."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        if state != self.dtype.__reduce__()[2]:
            raise UnsafePickleError(f'refusing to load numpy dtype '
                                    f'{self.dtype} with the state '
                                    f'{_short(state)}')


class _ArrayStub:
    """Stands in for a numpy array while a pickle is read: ``BUILD``'s
    ``(version, shape, dtype, fortran, data)`` becomes a checked copy."""

    array: Optional[np.ndarray] = None

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise UnsafePickleError('refusing to load a numpy array whose '
                                    'state is not (version, shape, dtype, '
                                    'fortran, data)')
        _, shape, dtype, fortran, data = state
        dtype = _stub_dtype(dtype)
        if not (_is_int_tuple(shape) and isinstance(data, bytes)
                and len(data) == int(np.prod(shape)) * dtype.itemsize):
            raise UnsafePickleError('refusing to load a numpy array whose '
                                    'data does not fit its shape')
        self.array = np.frombuffer(data, dtype=dtype).reshape(
            shape, order='F' if fortran else 'C').copy()


def _stub_dtype(dtype: Any) -> np.dtype:
    """The dtype of a checked :class:`_DTypeStub`; refuse anything else."""
    if not isinstance(dtype, _DTypeStub):
        raise UnsafePickleError(f'refusing numpy data of dtype '
                                f'{_short(dtype)}: only plain numeric and '
                                'string dtypes are allowed')
    return dtype.dtype


def _resolve_stubs(obj: Any) -> Any:
    """Replace the stand-ins in plain containers: ``torch.nn`` modules by
    records, numpy arrays and dtypes by checked copies."""
    if isinstance(obj, _TorchModuleStub):
        return obj.built_record()
    if isinstance(obj, _ArrayStub):
        if obj.array is None:
            raise UnsafePickleError('refusing a numpy array without data')
        return obj.array
    if isinstance(obj, _DTypeStub):
        return obj.dtype
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = _resolve_stubs(value)
    elif isinstance(obj, list):
        obj[:] = [_resolve_stubs(value) for value in obj]
    elif type(obj) is tuple:
        return tuple(_resolve_stubs(value) for value in obj)
    return obj


def make_record(class_name: str, module_src: str, version: Optional[int],
                state: Optional[dict]) -> PersistentRecord:
    """A :class:`PersistentRecord` from an instance's pickled ``__dict__``."""
    state = _resolve_stubs(dict(state or {}))
    children = _module_dict(state, '_modules')
    bad = [name for name, child in children.items()
           if not isinstance(child, (PersistentRecord, type(None)))]
    if bad:
        raise UnsafePickleError(f'{class_name}.{_short(bad[0])} is a '
                                f'{type(children[bad[0]]).__name__}, '
                                'not a network record')
    return PersistentRecord(
        class_name=class_name, module_src=module_src, version=version,
        init_args=tuple(state.get('_init_args') or ()),
        init_kwargs=dict(state.get('_init_kwargs') or {}),
        state=state, parameters=_module_dict(state, '_parameters'),
        buffers=_module_dict(state, '_buffers'), children=children,
        non_persistent_buffers=frozenset(
            state.get('_non_persistent_buffers_set') or ()))


class _TorchModuleStub:
    """Stands in for a ``torch.nn`` class (``ModuleDict`` ...) while a
    pickle is read: ``NEWOBJ`` makes one without running any constructor,
    ``BUILD`` hands it the module's ``__dict__``, which becomes a record."""

    class_name = ''

    def __init__(self, *args, **kwargs):
        raise UnsafePickleError(f'refusing to call {self.class_name}: torch '
                                'modules are only rebuilt from their state')

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise UnsafePickleError(f'the state of {self.class_name} is a '
                                    f'{type(state).__name__}, not a dict')
        self.record = make_record(self.class_name, '', None, state)

    def built_record(self) -> PersistentRecord:
        """The record, once ``BUILD`` has given the state."""
        record = getattr(self, 'record', None)
        if record is None:
            raise UnsafePickleError(f'{self.class_name} is used before its '
                                    'state is read (a cyclic module tree)')
        return record


class SafeUnpickler(pickle.Unpickler):
    """A :class:`pickle.Unpickler` that rebuilds tensors, plain containers,
    numpy data and persistent-class records, and refuses everything else.

    Args:
        file: Binary file object to read the pickle from.
        source: Name of the file, used in error messages.
    """

    _GLOBALS: Dict[Tuple[str, str], Any] = {
        ('torch._utils', '_rebuild_tensor_v2'): '_rebuild_tensor',
        ('torch._utils', '_rebuild_parameter'): '_rebuild_parameter',
        ('torch.storage', '_load_from_bytes'): '_load_storage',
        (PERSISTENT_MODULE, '_reconstruct_persistent_obj'):
            '_persistent_record',
        ('collections', 'OrderedDict'): OrderedDict,
        ('dnnlib.util', 'EasyDict'): dict,
        ('dnnlib', 'EasyDict'): dict,
        # protocols 0-2 name the builtins module ``__builtin__``
        **{(builtins, cls.__name__): cls
           for cls in (set, frozenset, bytes, complex)
           for builtins in ('builtins', '__builtin__')},
        ('_codecs', 'encode'): '_latin1_bytes',
        ('torch', 'Size'): torch.Size,
        ('torch', 'device'): torch.device,
        ('numpy', 'ndarray'): _NDArrayName,
        ('numpy', 'dtype'): '_numpy_dtype',
    }
    _NUMPY_CORE: Dict[str, str] = {
        'multiarray._reconstruct': '_numpy_array',
        'multiarray.scalar': '_numpy_scalar',
        'numeric._frombuffer': '_numpy_frombuffer',
    }

    def __init__(self, file, source: str = '<pickle>'):
        super().__init__(file)
        self.source = source
        self._stub_classes: Dict[str, type] = {}

    def refuse(self, what: str, why: str = ALLOWED) -> UnsafePickleError:
        """The one-line error for refusing ``what``."""
        return UnsafePickleError(
            f'refusing to load {_short(what)} from {self.source}: {why}')

    def find_class(self, module: str, name: str) -> Any:
        """The allowed stand-in for ``module.name``; refuse the rest."""
        found = self._GLOBALS.get((module, name))
        core, _, rest = module.rpartition('.')
        if found is None and core in NUMPY_CORE:
            found = self._NUMPY_CORE.get(f'{rest}.{name}')
        if isinstance(found, str):
            return getattr(self, found)
        if found is not None:
            return found
        if module == 'torch' and isinstance(vars(torch).get(name),
                                            torch.dtype):
            return vars(torch)[name]
        if module.startswith(TORCH_MODULES):
            return self._torch_module_stub(module, name)
        raise self.refuse(f'{module}.{name}')

    def persistent_load(self, pid: Any) -> Any:
        """Plain network pickles hold no persistent ids: refuse all."""
        raise self.refuse(f'persistent id {pid!r}',
                          'network pickles hold no persistent ids')

    def _torch_module_stub(self, module: str, name: str) -> type:
        """A per-file stand-in class for the ``torch.nn`` class ``name``."""
        cls = vars(torch.nn).get(name)
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            raise self.refuse(f'{module}.{name}')
        full_name = f'{module}.{name}'
        if full_name not in self._stub_classes:
            self._stub_classes[full_name] = type(
                name, (_TorchModuleStub, ), {'class_name': full_name})
        return self._stub_classes[full_name]

    def _persistent_record(self, meta: Any) -> PersistentRecord:
        """``_reconstruct_persistent_obj(meta)`` -> a record, no import."""
        if not isinstance(meta, dict):
            raise self.refuse(f'a persistent record of a '
                              f'{type(meta).__name__}', 'it must be a dict')
        if meta.get('type') != 'class':
            raise self.refuse(
                f'a persistent record of type {meta.get("type")!r}',
                'only \'class\' records are allowed')
        class_name, src = meta.get('class_name'), meta.get('module_src')
        state = meta.get('state')
        if not (isinstance(class_name, str) and isinstance(src, str)
                and isinstance(state, (dict, type(None)))):
            raise self.refuse('a persistent record',
                              'it lacks class_name, module_src or state')
        return make_record(class_name, src, meta.get('version'), state)

    def _load_storage(self, data: Any) -> torch.storage.TypedStorage:
        """``_load_from_bytes(data)``, read with ``weights_only=True``."""
        if not isinstance(data, (bytes, bytearray)):
            raise self.refuse(f'a storage made of {type(data).__name__}',
                              'storages are byte strings')
        try:
            storage = torch.load(io.BytesIO(data), map_location='cpu',
                                 weights_only=True)
        except Exception as err:  # torch.load fails in many ways
            raise self.refuse('a tensor storage', 'its embedded pickle is '
                              f'not a plain storage ({_torch_reason(err)})'
                              ) from None
        if not isinstance(storage, torch.storage.TypedStorage):
            raise self.refuse('a tensor storage', 'its embedded pickle holds '
                              f'a {type(storage).__name__}')
        return storage

    def _rebuild_tensor(self, storage: Any, offset: Any, size: Any,
                        stride: Any, requires_grad: Any, hooks: Any,
                        metadata: Any = None) -> torch.Tensor:
        """``torch._utils._rebuild_tensor_v2`` with its arguments checked."""
        if not (isinstance(storage, torch.storage.TypedStorage)
                and isinstance(offset, int) and offset >= 0
                and _is_int_tuple(size) and _is_int_tuple(stride)
                and isinstance(requires_grad, bool) and _empty_hooks(hooks)
                and isinstance(metadata, (dict, type(None)))):
            raise self.refuse('a tensor', 'its arguments are not a storage, '
                              'sizes and strides without hooks')
        return torch._utils._rebuild_tensor_v2(
            storage, offset, torch.Size(size), stride, requires_grad,
            OrderedDict(), metadata)

    def _rebuild_parameter(self, data: Any, requires_grad: Any,
                           hooks: Any) -> torch.nn.Parameter:
        """``torch._utils._rebuild_parameter`` with its arguments checked."""
        if not (isinstance(data, torch.Tensor)
                and isinstance(requires_grad, bool) and _empty_hooks(hooks)):
            raise self.refuse('a parameter', 'it must wrap a tensor and '
                              'have no hooks')
        return torch.nn.Parameter(data, requires_grad)

    def _latin1_bytes(self, text: Any, encoding: Any = 'latin1') -> bytes:
        """``_codecs.encode(text, 'latin1')``: how protocol 2 saves bytes."""
        if not (isinstance(text, str) and encoding in ('latin1', 'latin-1')):
            raise self.refuse(f'_codecs.encode(..., {encoding!r})',
                              'only latin1 byte strings are allowed')
        return text.encode('latin1')

    def _numpy_dtype(self, spec: Any, align: Any = False,
                     copy: Any = False) -> _DTypeStub:
        """``numpy.dtype(spec, ...)`` for plain numeric and string dtypes
        (no fields, no sub-arrays, no objects), as a checked stand-in."""
        try:
            dtype = np.dtype(spec) if isinstance(spec, str) else None
        except TypeError:
            dtype = None
        if (dtype is None or dtype.kind not in NUMPY_KINDS
                or dtype.names is not None or dtype.subdtype is not None):
            raise self.refuse(f'numpy dtype {_short(spec)}',
                              'only plain numeric and string dtypes are '
                              'allowed')
        return _DTypeStub(dtype)

    def _numpy_array(self, subtype: Any, shape: Any,
                     typecode: Any) -> _ArrayStub:
        """``numpy.core.multiarray._reconstruct``: an empty plain array
        that ``BUILD`` then fills (checked)."""
        if not (subtype is _NDArrayName and shape == (0, )
                and isinstance(typecode, bytes)):
            raise self.refuse(f'a numpy array of type {_short(subtype)}',
                              'only plain numpy.ndarray is allowed')
        return _ArrayStub()

    def _numpy_scalar(self, dtype: Any, data: Any = b'') -> np.generic:
        """``numpy.core.multiarray.scalar`` for plain dtypes."""
        dtype = _stub_dtype(dtype)
        if not isinstance(data, bytes) or len(data) != dtype.itemsize:
            raise self.refuse('a numpy scalar', 'its data is not '
                              f'{dtype.itemsize} bytes')
        return np.frombuffer(data, dtype=dtype, count=1)[0]

    def _numpy_frombuffer(self, data: Any, dtype: Any, shape: Any,
                          order: Any = 'C') -> np.ndarray:
        """``numpy.core.numeric._frombuffer`` (protocol 5 arrays)."""
        dtype = _stub_dtype(dtype)
        if not (isinstance(data, (bytes, bytearray)) and order in ('C', 'F')
                and _is_int_tuple(shape)
                and len(data) == int(np.prod(shape)) * dtype.itemsize):
            raise self.refuse('a numpy array', 'its data does not fit its '
                              'shape')
        array = np.frombuffer(data, dtype=dtype)
        return array.reshape(shape, order=order).copy(order=order)

    def load(self) -> Any:
        """Read the pickle; ``torch.nn`` containers come back as records."""
        return _resolve_stubs(super().load())


def _torch_reason(err: Exception) -> str:
    """The telling line of a ``torch.load`` failure."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for line in lines:
        if 'GLOBAL' in line or 'Unsupported' in line:
            return _short(line, 120)
    return _short(lines[0] if lines else type(err).__name__, 120)


def load_pickle(path: str) -> Any:
    """Read any pickle at ``path`` with :class:`SafeUnpickler`.

    Raises:
        CheckpointError: The file is missing or not a readable pickle.
        UnsafePickleError: The pickle asks for a refused global.
    """
    if not osp.isfile(path):
        raise CheckpointError(f'network pickle not found: {path}')
    try:
        with open(path, 'rb') as f:
            return SafeUnpickler(f, source=path).load()
    except CheckpointError:
        raise
    except Exception as err:  # corrupt pickles fail in many ways
        raise CheckpointError(f'{path} is not a readable pickle '
                              f'({type(err).__name__}: {_short(err)})'
                              ) from None


def load_network_pickle(path: str, key: Optional[str] = 'ema'
                        ) -> PersistentRecord:
    """The network stored under ``key`` in an EDM2/ECT ``.pkl`` snapshot.

    Args:
        path: The ``.pkl`` file.
        key: Entry of the snapshot's top-level dict (``'ema'``,
            ``'loss_fn'``, ``'encoder'``); ``None`` when the pickle holds
            the network itself.

    Returns:
        The network as a :class:`PersistentRecord`; nothing is imported.
    """
    data = load_pickle(path)
    if key is not None:
        if not isinstance(data, dict):
            raise CheckpointError(f'{path} holds a {type(data).__name__}, '
                                  f'not a dict with a {key!r} entry')
        if key not in data:
            raise CheckpointError(f'{path} has no {key!r} entry; it has '
                                  f'{sorted(map(str, data))}')
        data = data[key]
    if not isinstance(data, PersistentRecord):
        where = f'{path}[{key!r}]' if key is not None else path
        raise CheckpointError(f'{where} is a {type(data).__name__}, '
                              'not a network')
    return data


def record_state_dict(record: PersistentRecord, prefix: str = ''
                      ) -> 'OrderedDict[str, torch.Tensor]':
    """The tensors that ``nn.Module.state_dict()`` of the network would give.

    Per module: its parameters, then its persistent buffers, then each
    child's entries under ``<child name>.``; ``None`` entries are skipped.
    """
    out = OrderedDict()
    _collect_state(record, prefix, out)
    return out


def _collect_state(record: PersistentRecord, prefix: str,
                   out: 'OrderedDict[str, torch.Tensor]') -> None:
    for name, value in record.parameters.items():
        if value is not None:
            out[prefix + name] = _as_tensor(value, prefix + name)
    for name, value in record.buffers.items():
        if value is not None and name not in record.non_persistent_buffers:
            out[prefix + name] = _as_tensor(value, prefix + name)
    for name, child in record.children.items():
        if child is not None:
            _collect_state(child, f'{prefix}{name}.', out)


def _as_tensor(value: Any, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise CheckpointError(f'{name} is a {type(value).__name__}, '
                              'not a tensor')
    return value.detach()


def plain(value: Any) -> Any:
    """``value`` with numpy data, sets and records made plain Python, so
    that ``torch.load(weights_only=True)`` reads it back."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if type(value) is tuple:
        return tuple(plain(v) for v in value)
    if isinstance(value, (list, tuple)):  # lists, torch.Size
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, PersistentRecord):
        return {'class_name': value.class_name, **record_kwargs(value)}
    return value


def record_kwargs(record: PersistentRecord) -> Dict[str, Any]:
    """The keyword arguments the network was constructed with, as plain
    dicts and lists; positional arguments, if any, under ``'*args'`` (a
    name no keyword can have)."""
    kwargs = plain(record.init_kwargs)
    if record.init_args:
        kwargs['*args'] = plain(list(record.init_args))
    return kwargs


def convert_network_pickle(src: str, dst: str, key: Optional[str] = 'ema',
                           dtype: Optional[torch.dtype] = None
                           ) -> Dict[str, Any]:
    """Write the network of an EDM2/ECT ``.pkl`` as a plain ``torch.save``
    file that ``torch.load(dst, weights_only=True)`` reads.

    Args:
        src: The ``.pkl`` snapshot.
        dst: The output file.
        key: Entry of the snapshot holding the network.
        dtype: Cast floating-point tensors to it; ``None`` keeps them.

    Returns:
        The saved dict: ``{'state_dict': ..., 'meta': {'class_name',
        'init_kwargs', 'source', 'key'}}``.
    """
    record = load_network_pickle(src, key=key)
    state = OrderedDict(
        (name, _cast(tensor, dtype))
        for name, tensor in record_state_dict(record).items())
    saved = {'state_dict': state,
             'meta': {'class_name': record.class_name,
                      'init_kwargs': record_kwargs(record),
                      'source': str(src), 'key': key}}
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(saved, dst)
    return saved


def _cast(tensor: torch.Tensor, dtype: Optional[torch.dtype]
          ) -> torch.Tensor:
    if dtype is not None and tensor.is_floating_point():
        tensor = tensor.to(dtype)
    return tensor.contiguous()


__all__ = [
    'PersistentRecord', 'SafeUnpickler', 'UnsafePickleError',
    'convert_network_pickle', 'load_network_pickle', 'load_pickle',
    'make_record', 'plain', 'record_kwargs', 'record_state_dict'
]
