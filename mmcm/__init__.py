"""mmcm: Consistency Models for the OpenMMLab ecosystem.

Importing the package is cheap: modules register themselves lazily through the
``locations`` of :mod:`mmcm.registry` or through
:func:`mmcm.utils.register_all_modules`. mmagic's ``MMagicInferencer`` learns
the model name ``consistency_models`` when mmagic's inferencer is imported.
"""
from .mmagic_hook import install_mmagic_hook
from .version import __version__

install_mmagic_hook()

__all__ = ['__version__']
