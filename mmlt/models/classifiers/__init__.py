# Copyright (c) mmlt contributors. All rights reserved.
from .ride_classifier import RIDEClassifier
from .ride_router_classifier import RIDERouterClassifier

__all__ = ['RIDEClassifier', 'RIDERouterClassifier']
