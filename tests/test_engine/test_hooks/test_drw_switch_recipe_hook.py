# Copyright (c) mmlt contributors. All rights reserved.
"""DRWSwitchRecipeHook: distillation weights on, Mixup/CutMix off and the
CLS loss plain CE at the configured epoch, through a model wrapper, with
the state derived from the epoch (resume-safe)."""
import logging
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger

import mmlt  # noqa: F401
from mmlt.engine.hooks import DRWSwitchRecipeHook
from mmlt.models.utils import effective_number_weights
from mmlt.registry import HOOKS, MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)
COUNTS = [100, 30, 10, 3]


def _model():
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='DistilledVisionTransformer',
                arch=dict(
                    embed_dims=8,
                    num_layers=1,
                    num_heads=2,
                    feedforward_channels=8),
                img_size=8,
                patch_size=4),
            head=dict(
                type='DeiTLTHead',
                num_classes=4,
                in_channels=8,
                loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1)),
            train_cfg=dict(augments=[
                dict(type='Mixup', alpha=0.8),
                dict(type='CutMix', alpha=1.0)
            ])))
    model.head.distill_loss.set_class_counts(COUNTS)
    return model


def _runner(model, epoch, max_epochs=12):
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        max_epochs=max_epochs,
        logger=MMLogger.get_current_instance())


def _state(model):
    head = model.head
    reweighted = head.distill_loss.weight is not None
    mixing = model.data_preprocessor.batch_augments is not None
    return reweighted, mixing, type(head.loss_module).__name__


def test_switch_at_the_epoch_through_a_wrapper():
    model = _model()
    hook = HOOKS.build(dict(type='DRWSwitchRecipeHook', start_epoch=3))
    wrapped = nn.DataParallel(model)
    hook.before_train(_runner(wrapped, 0))
    for epoch in (0, 1, 2):  # 3 epochs in the first recipe
        hook.before_train_epoch(_runner(wrapped, epoch))
        assert _state(model) == (False, True, 'LabelSmoothLoss')
    hook.before_train_epoch(_runner(wrapped, 3))  # the 4th epoch
    assert _state(model) == (True, False, 'CrossEntropyLoss')
    loss = model.head.loss_module
    torch.testing.assert_close(model.head.distill_loss.weight,
                               effective_number_weights(COUNTS, 0.9999))
    hook.before_train_epoch(_runner(wrapped, 4))
    assert model.head.loss_module is loss  # switched once
    assert _state(model) == (True, False, 'CrossEntropyLoss')


def test_resumed_past_the_switch_starts_switched():
    """A new process (fresh model and hook) resumed at epoch 5 > 3 trains
    the switched recipe from its first epoch; resumed before, not."""
    model = _model()
    DRWSwitchRecipeHook(start_epoch=3).before_train_epoch(_runner(model, 5))
    assert _state(model) == (True, False, 'CrossEntropyLoss')
    model = _model()
    hook = DRWSwitchRecipeHook(start_epoch=3)
    hook.before_train_epoch(_runner(model, 2))
    assert _state(model) == (False, True, 'LabelSmoothLoss')


def test_start_ratio_follows_max_epochs():
    hook = DRWSwitchRecipeHook(start_ratio=11 / 12)
    model = _model()
    assert hook.switch_epoch(_runner(model, 0, max_epochs=1200)) == 1100
    assert hook.switch_epoch(_runner(model, 0, max_epochs=24)) == 22
    hook.before_train_epoch(_runner(model, 21, max_epochs=24))
    assert _state(model) == (False, True, 'LabelSmoothLoss')
    hook.before_train_epoch(_runner(model, 22, max_epochs=24))
    assert _state(model) == (True, False, 'CrossEntropyLoss')


def test_options_and_errors():
    model = _model()
    keep = DRWSwitchRecipeHook(
        start_epoch=0, loss=None, batch_augments_off=False)
    keep.before_train_epoch(_runner(model, 0))
    assert _state(model) == (True, True, 'LabelSmoothLoss')
    # a model without set_reweight: an error unless reweight=False
    plain = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet32Cifar', depth=20),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
            train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8)])))
    with pytest.raises(TypeError, match='set_reweight'):
        DRWSwitchRecipeHook(start_epoch=1).before_train_epoch(
            _runner(plain, 0))
    DRWSwitchRecipeHook(
        start_epoch=1, reweight=False).before_train_epoch(_runner(plain, 1))
    assert plain.data_preprocessor.batch_augments is None
    bad = [
        dict(),
        dict(start_epoch=1, start_ratio=.5),
        dict(start_epoch=-1),
        dict(start_epoch=True),
        dict(start_ratio=1.5),
    ]
    for kwargs in bad:
        with pytest.raises(ValueError, match='DRWSwitchRecipeHook'):
            DRWSwitchRecipeHook(**kwargs)
