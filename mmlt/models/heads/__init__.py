# Copyright (c) mmlt contributors. All rights reserved.
from .cosine_cls_head import CosineClsHead
from .lt_linear_cls_head import LTLinearClsHead
from .metafg_head import MetaFGHead
from .ride_head import RIDEHead
from .ride_router_head import RIDERouterHead

__all__ = [
    'CosineClsHead', 'LTLinearClsHead', 'RIDEHead', 'RIDERouterHead',
    'MetaFGHead'
]
