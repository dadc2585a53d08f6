"""mmcm: Consistency Models for the OpenMMLab ecosystem.

Importing the package is cheap and changes nothing outside it: modules
register themselves lazily through the ``locations`` of
:mod:`mmcm.registry` or through :func:`mmcm.apis.register_all_modules`.
mmagic's ``MMagicInferencer`` learns the model name ``consistency_models``
from :func:`mmcm.apis.inferencers.register_mmagic_inferencer`.
"""
from .version import __version__

__all__ = ['__version__']
