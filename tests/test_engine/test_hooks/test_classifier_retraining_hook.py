# Copyright (c) mmlt contributors. All rights reserved.
"""ClassifierRetrainingHook: what it freezes, the stage switch, the LR
restart, BatchNorm modes, errors."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger

import mmlt  # noqa: F401
from mmlt.engine.hooks import ClassifierRetrainingHook
from mmlt.registry import MODELS


def _model():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='ExpertResNetCifar',
                depth=20,
                shortcut='B',
                num_experts=2,
                num_shared_stages=2,
                reduce_dimension=False,
                fusion=dict(taps=('layer1', 'layer2'))),
            head=dict(
                type='SHIKEHead', num_classes=4, in_channels=64,
                num_experts=2)))


def _runner(model, epoch, lr=0.2):
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr)
    optimizer.param_groups[0]['initial_lr'] = 1.5
    return SimpleNamespace(
        model=nn.DataParallel(model),
        epoch=epoch,
        logger=MMLogger.get_current_instance(),
        optim_wrapper=SimpleNamespace(optimizer=optimizer))


def test_freezes_everything_but_the_second_classifiers():
    model = _model()
    hook = ClassifierRetrainingHook(
        start_epoch=3, trainable=('head.rt_classifiers', ))
    hook.before_train_epoch(_runner(model, 2))
    assert all(p.requires_grad for p in model.parameters())
    assert model.head.active_classifiers is model.head.classifiers
    hook.before_train_epoch(_runner(model, 3))  # also on resume: epoch >= 3
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {f'head.rt_classifiers.{k}.weight' for k in (0, 1)}
    assert model.head.active_classifiers is model.head.rt_classifiers
    # the frozen BatchNorm layers keep updating (official) ...
    model.train()
    hook.before_train_iter(_runner(model, 3))
    assert all(m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))
    # ... unless bn_eval
    ClassifierRetrainingHook(
        start_epoch=3, trainable=('head.rt_classifiers', ),
        bn_eval=True).before_train_iter(_runner(model, 3))
    assert not any(m.training
                   for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def test_learning_rate_restarts_after_the_last_first_stage_epoch():
    hook = ClassifierRetrainingHook(
        start_epoch=3, trainable=('head.rt_classifiers', ))
    runner = _runner(_model(), 1, lr=0.01)
    hook.after_train_epoch(runner)
    assert runner.optim_wrapper.optimizer.param_groups[0]['lr'] == 0.01
    runner.epoch = 2  # the last first-stage epoch ends
    hook.after_train_epoch(runner)
    assert runner.optim_wrapper.optimizer.param_groups[0]['lr'] == 1.5


def test_errors():
    with pytest.raises(ValueError, match='start_epoch must be an int >= 1'):
        ClassifierRetrainingHook(start_epoch=0, trainable=('head', ))
    with pytest.raises(ValueError, match='name prefixes'):
        ClassifierRetrainingHook(start_epoch=2, trainable=())
    hook = ClassifierRetrainingHook(start_epoch=1, trainable=('head.fc', ))
    with pytest.raises(
            ValueError, match=r"no parameter .* starts with "
            r"\('head.fc',\)"):
        hook.before_train_epoch(_runner(_model(), 1))
