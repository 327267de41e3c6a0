# Copyright (c) mmlt contributors. All rights reserved.
"""mmlt: long-tailed recognition for the OpenMMLab ecosystem.

``import mmlt`` registers every classification component into mmpretrain's
registries (and shared layers into mmengine's root ``MODELS``) and makes
mmengine checkpoints loadable on torch >= 2.6 with safe loading kept on.
Detection components live in :mod:`mmlt.det` (needs mmdet), which this
package does not import.
"""
from .utils.compat import register_checkpoint_safe_globals
from .version import __version__, version_info

register_checkpoint_safe_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'version_info']
