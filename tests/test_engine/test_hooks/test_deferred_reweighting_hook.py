# Copyright (c) mmlt contributors. All rights reserved.
"""DDPSwitchRecipeHook (loss switch through a model wrapper) and
DeferredReweightingHook (DRW by epoch, through a wrapper, resume-safe)."""
import logging
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmpretrain.engine.hooks import SwitchRecipeHook

import mmlt  # noqa: F401
from mmlt.engine.hooks import DDPSwitchRecipeHook, DeferredReweightingHook
from mmlt.models.losses import diversity_temperature
from mmlt.models.utils import effective_number_weights
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)
COUNTS = [100, 30, 10, 3]


def _model():
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ExpertResNetCifar', num_experts=2),
            head=dict(
                type='MultiExpertClsHead',
                num_classes=4,
                in_channels=48,
                num_experts=2,
                loss=dict(type='RIDELoss'))))
    model.head.loss_module.set_class_counts(COUNTS)
    return model


def test_loss_switch_through_a_model_wrapper():
    model = _model()
    runner = SimpleNamespace(model=nn.DataParallel(model))
    new_loss = MODELS.build(dict(type='RIDELoss', reweight=True))
    # mmpretrain 1.2.0 only unwraps wrappers of its own (empty) registry
    with pytest.raises(RuntimeError, match='loss_module'):
        SwitchRecipeHook._switch_loss(runner, new_loss)
    DDPSwitchRecipeHook._switch_loss(runner, new_loss)
    assert model.head.loss_module is new_loss
    hook = DDPSwitchRecipeHook(schedule=[
        dict(action_epoch=3, loss=dict(type='RIDELoss', reweight=True))
    ])
    assert hook.schedule[3]['loss'].reweight


def _runner(model, epoch):
    return SimpleNamespace(
        model=model, epoch=epoch, logger=MMLogger.get_current_instance())


def test_deferred_reweighting_by_epoch_through_a_wrapper():
    model = _model()
    loss = model.head.loss_module
    hook = DeferredReweightingHook(start_epoch=3)
    wrapped = nn.DataParallel(model)
    for epoch in (0, 2):
        hook.before_train_epoch(_runner(wrapped, epoch))
        assert not loss.reweight and loss.ldam.weight is None
        assert loss.temperature is None and loss.mean_temperature == 1.0
    hook.before_train_epoch(_runner(wrapped, 3))  # the 4th epoch
    torch.testing.assert_close(loss.ldam.weight,
                               effective_number_weights(COUNTS, 0.9999))
    temperature = diversity_temperature(COUNTS, 0.05)
    torch.testing.assert_close(loss.temperature,
                               torch.as_tensor(temperature).float())
    assert loss.mean_temperature == pytest.approx(temperature.mean())
    # resuming at an epoch before the switch turns it off again
    DeferredReweightingHook(start_epoch=3).before_train_epoch(
        _runner(model, 1))
    assert not loss.reweight and loss.ldam.weight is None


def test_deferred_reweighting_errors():
    with pytest.raises(ValueError, match='start_epoch must be an int >= 0'):
        DeferredReweightingHook(start_epoch=-1)
    with pytest.raises(TypeError, match='no module with `set_reweight`'):
        DeferredReweightingHook(start_epoch=0).before_train_epoch(
            _runner(nn.Linear(2, 2), 0))
