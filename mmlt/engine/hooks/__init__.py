# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts_hook import ClassCountsHook
from .ddp_switch_recipe_hook import DDPSwitchRecipeHook
from .deferred_resampling_hook import DeferredResamplingHook
from .meta_mask_curriculum_hook import MetaMaskCurriculumHook, meta_mask_prob
from .ride_expert_flops_hook import ExpertFlopsHook

__all__ = [
    'ClassCountsHook', 'DDPSwitchRecipeHook', 'DeferredResamplingHook',
    'ExpertFlopsHook', 'MetaMaskCurriculumHook', 'meta_mask_prob'
]
