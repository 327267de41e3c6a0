# Copyright (c) mmlt contributors. All rights reserved.
from .carafe_fcn_mask_head import FCNMaskHeadWithCARAFEFallback

__all__ = ['FCNMaskHeadWithCARAFEFallback']
