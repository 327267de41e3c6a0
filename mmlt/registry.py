# Copyright (c) mmlt contributors. All rights reserved.
"""Registries used by mmlt.

mmlt has no registries of its own. Classification components register into
mmpretrain's registries, so a stock mmpretrain config (``default_scope =
'mmpretrain'``) finds them by their bare names once ``mmlt`` is imported (e.g.
with ``custom_imports=dict(imports=['mmlt'])``). Layers shared by every task
(the APA/AGLU activations) go into mmengine's root ``MODELS`` like mmcv's
activations, so ``act_cfg=dict(type='AGLU')`` works under any scope. Detection
components live in :mod:`mmlt.det` and use mmdet's registries.
"""
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmpretrain.registry import (BATCH_AUGMENTS, DATA_SAMPLERS, DATASETS,
                                 EVALUATORS, HOOKS, LOOPS, METRICS, MODELS,
                                 OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                                 OPTIMIZERS, PARAM_SCHEDULERS, TRANSFORMS,
                                 VISUALIZERS)

__all__ = [
    'MMENGINE_MODELS', 'BATCH_AUGMENTS', 'DATA_SAMPLERS', 'DATASETS',
    'EVALUATORS', 'HOOKS', 'LOOPS', 'METRICS', 'MODELS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS', 'OPTIMIZERS',
    'PARAM_SCHEDULERS', 'TRANSFORMS', 'VISUALIZERS'
]
