# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts_hook import ClassCountsHook
from .ddp_switch_recipe_hook import DDPSwitchRecipeHook
from .deferred_resampling_hook import DeferredResamplingHook
from .knn_graph_hook import KNNGraphHook
from .logits_bank_hook import LogitsBankHook
from .rho_ramp_hook import RhoRampHook
from .ride_expert_flops_hook import ExpertFlopsHook

__all__ = [
    'ClassCountsHook', 'DDPSwitchRecipeHook', 'DeferredResamplingHook',
    'ExpertFlopsHook', 'KNNGraphHook', 'LogitsBankHook', 'RhoRampHook'
]
