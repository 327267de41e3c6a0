# Copyright (c) mmlt contributors. All rights reserved.
from .class_balanced_loss import ClassBalancedLoss
from .ldam_loss import LDAMLoss
from .logit_adjusted_loss import LogitAdjustedLoss

__all__ = ['LDAMLoss', 'LogitAdjustedLoss', 'ClassBalancedLoss']
