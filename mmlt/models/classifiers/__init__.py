# Copyright (c) mmlt contributors. All rights reserved.
from .metafg_classifier import MetaFGClassifier, mask_meta
from .ride_classifier import RIDEClassifier
from .ride_router_classifier import RIDERouterClassifier

__all__ = [
    'RIDEClassifier', 'RIDERouterClassifier', 'MetaFGClassifier', 'mask_meta'
]
