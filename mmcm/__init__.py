"""mmcm: Consistency Models for the OpenMMLab ecosystem.

Importing the package is cheap: modules register themselves lazily through the
``locations`` of :mod:`mmcm.registry` or through
:func:`mmcm.utils.register_all_modules`.
"""
from .version import __version__

__all__ = ['__version__']
