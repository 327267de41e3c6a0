# Copyright (c) mmlt contributors. All rights reserved.
from .class_prior_sampler import (ClassBalancedSampler, ClassPriorSampler,
                                  ProgressiveSampler, SquareRootSampler)

__all__ = [
    'ClassPriorSampler', 'ClassBalancedSampler', 'SquareRootSampler',
    'ProgressiveSampler'
]
