# Copyright (c) mmlt contributors. All rights reserved.
from .lvis_category_stats import LVISCategoryStats, read_lvis_category_stats

__all__ = ['LVISCategoryStats', 'read_lvis_category_stats']
