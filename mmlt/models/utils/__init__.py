# Copyright (c) mmlt contributors. All rights reserved.
from .class_prior import (ClassCountsMixin, effective_number_weights,
                          ldam_margins, log_prior)
from .frozen_teacher import FrozenTeacher
from .posthoc import PostHocAdjustMixin, posthoc_offset

__all__ = [
    'ClassCountsMixin', 'effective_number_weights', 'ldam_margins',
    'log_prior', 'PostHocAdjustMixin', 'posthoc_offset', 'FrozenTeacher'
]
