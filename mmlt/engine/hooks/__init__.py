# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts_hook import ClassCountsHook
from .deferred_resampling_hook import DeferredResamplingHook

__all__ = ['ClassCountsHook', 'DeferredResamplingHook']
