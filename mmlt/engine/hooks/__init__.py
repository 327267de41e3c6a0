# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts_hook import ClassCountsHook, check_class_counts_source
from .classifier_retraining_hook import ClassifierRetrainingHook
from .ddp_switch_recipe_hook import DDPSwitchRecipeHook
from .deferred_resampling_hook import DeferredResamplingHook
from .deferred_reweighting_hook import DeferredReweightingHook
from .drw_switch_recipe_hook import DRWSwitchRecipeHook
from .finite_loss_hook import (FiniteLossHook, NonFiniteLossError,
                               nonfinite_parameters)
from .knn_graph_hook import KNNGraphHook
from .logits_bank_hook import LogitsBankHook
from .loss_weight_ramp_hook import LossWeightRampHook
from .meta_mask_curriculum_hook import MetaMaskCurriculumHook, meta_mask_prob
from .rho_ramp_hook import RhoRampHook

__all__ = [
    'ClassCountsHook', 'check_class_counts_source', 'ClassifierRetrainingHook',
    'DDPSwitchRecipeHook', 'DeferredResamplingHook', 'DeferredReweightingHook',
    'DRWSwitchRecipeHook', 'FiniteLossHook', 'NonFiniteLossError',
    'nonfinite_parameters', 'LossWeightRampHook', 'MetaMaskCurriculumHook',
    'meta_mask_prob', 'KNNGraphHook', 'LogitsBankHook', 'RhoRampHook'
]
