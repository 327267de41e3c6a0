# Copyright (c) mmlt contributors. All rights reserved.
"""DDPSwitchRecipeHook (loss switch through a model wrapper) and
ExpertFlopsHook."""
import logging
from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.logging import MMLogger
from mmpretrain.engine.hooks import SwitchRecipeHook

import mmlt  # noqa: F401
from mmlt.engine.hooks import DDPSwitchRecipeHook, ExpertFlopsHook
from mmlt.evaluation.metrics import ExpertUsage
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)


def _model():
    return MODELS.build(dict(
        type='RIDEClassifier',
        backbone=dict(type='ExpertResNetCifar', num_experts=2),
        head=dict(type='RIDEHead', num_classes=10, in_channels=48,
                  num_experts=2, loss=dict(type='RIDELoss'))))


def test_loss_switch_through_a_model_wrapper():
    model = _model()
    runner = SimpleNamespace(model=nn.DataParallel(model))
    new_loss = MODELS.build(dict(type='RIDELoss', reweight=True))
    # mmpretrain 1.2.0 only unwraps wrappers of its own (empty) registry
    with pytest.raises(RuntimeError, match='loss_module'):
        SwitchRecipeHook._switch_loss(runner, new_loss)
    DDPSwitchRecipeHook._switch_loss(runner, new_loss)
    assert model.head.loss_module is new_loss
    hook = DDPSwitchRecipeHook(schedule=[dict(
        action_epoch=3, loss=dict(type='RIDELoss', reweight=True))])
    assert hook.schedule[3]['loss'].reweight


def test_expert_flops_hook_feeds_metrics():
    model = _model()
    metric = ExpertUsage()
    runner = SimpleNamespace(
        model=model, logger=MMLogger.get_current_instance(),
        _test_loop=SimpleNamespace(evaluator=SimpleNamespace(
            metrics=[metric])))
    ExpertFlopsHook(input_shape=(3, 32, 32)).before_test(runner)
    assert metric.expert_flops == pytest.approx(
        model.expert_flops((3, 32, 32)))
    assert metric.all_experts_flops == metric.expert_flops[-1]
    with pytest.raises(ValueError, match=r'\(C, H, W\)'):
        ExpertFlopsHook(input_shape=(32, 32))
    runner.model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match='expert_flops'):
        ExpertFlopsHook(input_shape=(3, 32, 32)).before_test(runner)
