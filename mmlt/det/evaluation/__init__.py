# Copyright (c) mmlt contributors. All rights reserved.
from .lvis_compat_metric import LVISCompatMetric, numpy_float_alias

__all__ = ['LVISCompatMetric', 'numpy_float_alias']
