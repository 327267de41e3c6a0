# Copyright (c) mmlt contributors. All rights reserved.
from .class_prior import (ClassCountsMixin, effective_number_weights,
                          ldam_margins, log_prior)
from .frozen_teacher import FrozenTeacher
from .logits_bank import LogitsBank
from .partial_ot_pseudo_labeler import PartialOTPseudoLabeler, gather_rows
from .posthoc import PostHocAdjustMixin, posthoc_offset
from .semantic_partial_ot_pseudo_labeler import SemanticPartialOTPseudoLabeler

__all__ = [
    'ClassCountsMixin', 'effective_number_weights', 'ldam_margins',
    'log_prior', 'PostHocAdjustMixin', 'posthoc_offset', 'FrozenTeacher',
    'LogitsBank', 'PartialOTPseudoLabeler', 'SemanticPartialOTPseudoLabeler',
    'gather_rows'
]
