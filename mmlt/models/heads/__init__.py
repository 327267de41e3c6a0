# Copyright (c) mmlt contributors. All rights reserved.
from .cosine_cls_head import CosineClsHead
from .cosine_cluster_head import CosineClusterHead
from .lt_linear_cls_head import LTLinearClsHead
from .ride_head import RIDEHead
from .ride_router_head import RIDERouterHead

__all__ = [
    'CosineClsHead', 'CosineClusterHead', 'LTLinearClsHead', 'RIDEHead',
    'RIDERouterHead'
]
