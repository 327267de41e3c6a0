# Copyright (c) mmlt contributors. All rights reserved.
from .cosine_cls_head import CosineClsHead
from .cosine_cluster_head import CosineClusterHead
from .deit_lt_head import DeiTLTHead
from .lt_linear_cls_head import LTLinearClsHead
from .metafg_head import MetaFGHead
from .multi_expert_cls_head import MultiExpertClsHead
from .paco_head import PaCoHead
from .ride_router_head import RIDERouterHead
from .shike_head import SHIKEHead

__all__ = [
    'SHIKEHead', 'CosineClsHead', 'LTLinearClsHead', 'MultiExpertClsHead',
    'RIDERouterHead', 'MetaFGHead', 'CosineClusterHead', 'DeiTLTHead',
    'PaCoHead'
]
