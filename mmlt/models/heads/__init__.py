# Copyright (c) mmlt contributors. All rights reserved.
from .cosine_cls_head import CosineClsHead
from .lt_linear_cls_head import LTLinearClsHead

__all__ = ['CosineClsHead', 'LTLinearClsHead']
