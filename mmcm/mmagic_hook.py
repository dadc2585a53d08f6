"""Register ``consistency_models`` with mmagic's inferencer when it loads.

``import mmcm`` must stay light, so it does not import ``mmagic.apis``.
Instead it installs a meta-path finder that waits for
``mmagic.apis.mmagic_inferencer`` to be imported and then calls
:func:`mmcm.apis.inferencers.register_mmagic_inferencer`. If mmagic's
inferencer is already imported, registration happens at once.
"""
import importlib.abc
import sys

TARGET = 'mmagic.apis.mmagic_inferencer'


def _register() -> None:
    from mmcm.apis.inferencers import register_mmagic_inferencer
    register_mmagic_inferencer()


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loader of mmagic's inferencer."""

    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        spec = _find_with_other_finders(self, name, path, target)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _register()

        spec.loader.exec_module = exec_module
        return spec


def _find_with_other_finders(skip, name, path, target):
    for finder in sys.meta_path:
        if finder is skip or not hasattr(finder, 'find_spec'):
            continue
        spec = finder.find_spec(name, path, target)
        if spec is not None:
            return spec
    return None


def install_mmagic_hook() -> None:
    """Register now if mmagic's inferencer is loaded, else on its import."""
    if TARGET in sys.modules:
        _register()
    elif not any(isinstance(f, _RegisterAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())
