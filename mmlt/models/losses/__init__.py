# Copyright (c) mmlt contributors. All rights reserved.
from .class_balanced_loss import ClassBalancedLoss
from .deit_lt_distill_loss import DeiTLTDistillLoss
from .dkt_loss import DKTLoss
from .ldam_loss import LDAMLoss
from .logit_adjusted_loss import LogitAdjustedLoss
from .mdcs_loss import MDCSLoss
from .paco_loss import PaCoLoss
from .ride_loss import RIDELoss, diversity_temperature
from .ride_router_loss import RIDERouterLoss, ride_router_targets

__all__ = [
    'DKTLoss', 'LDAMLoss', 'LogitAdjustedLoss', 'ClassBalancedLoss',
    'RIDELoss', 'diversity_temperature', 'RIDERouterLoss',
    'ride_router_targets', 'MDCSLoss', 'DeiTLTDistillLoss', 'PaCoLoss'
]
