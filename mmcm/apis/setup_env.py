"""Registration of every mmcm module in one call, and the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import all mmcm modules so they register, and set the default scope.

    The layers are imported here, when asked, rather than when
    ``mmcm.apis`` is imported: sampling a model needs only ``mmcm.models``
    (which registries import lazily), not the datasets' mmcv transforms.

    Args:
        init_default_scope: Set ``mmcm`` as the current default scope (a new,
            uniquely named scope instance when another scope is current).
    """
    import mmcm.datasets  # noqa: F401
    import mmcm.engine  # noqa: F401
    import mmcm.evaluation  # noqa: F401
    import mmcm.models  # noqa: F401
    if init_default_scope:
        use_mmcm_scope()


def use_mmcm_scope() -> None:
    """Make ``mmcm`` the current default scope of mmengine's registries.

    A new, uniquely named scope instance is created when another scope is
    current, with a warning.
    """
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmcm'):
        DefaultScope.get_instance('mmcm', scope_name='mmcm')
        return
    if current.scope_name != 'mmcm':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmcm"; creating a new "mmcm" scope instance.',
                      stacklevel=2)
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'mmcm-{stamp}', scope_name='mmcm')
