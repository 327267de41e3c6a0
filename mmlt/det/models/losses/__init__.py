# Copyright (c) mmlt contributors. All rights reserved.
from .gumbel_drop_loss import GumbelDropLoss, gumbel_bce

__all__ = ['GumbelDropLoss', 'gumbel_bce']
