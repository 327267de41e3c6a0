# Copyright (c) mmlt contributors. All rights reserved.
"""The SHIKE CIFAR learning-rate schedule equals the official one epoch by
epoch: mmengine's param schedulers of the config, stepped after every epoch
as ``ParamSchedulerHook`` does, with ``ClassifierRetrainingHook``'s restart
at the stage switch."""
import math

import pytest
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.engine.hooks import ClassifierRetrainingHook
from .._schedule import epoch_lrs

CONFIGS = [
    'configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py',
    'configs/shike/shike_r32_1xb128-200e_cifar10lt-if100.py',
]


def official_lr(epoch, cornerstone=180, epochs=200, base=0.05):
    """SHIKE's CosineAnnealingLRWarmup (5 warm-up epochs growing linearly
    from ``base`` through step 1, then cosine), written from its formula:
    stage 1 peaks at 0.15 with T_max = epochs - 20, stage 2 (its own
    scheduler, counting from 0 at the cornerstone) peaks at 0.1 with
    T_max = 20."""
    if epoch < cornerstone:
        step, peak, t_max = epoch, 0.15, epochs - 20
    else:
        step, peak, t_max = epoch - cornerstone, 0.1, 20
    if step < 5:
        return (peak - base) / 4 * (step - 1) + base
    return peak * (1 + math.cos(math.pi * (step - 5) / (t_max - 5))) / 2


@pytest.mark.parametrize('path', CONFIGS)
def test_lr_equals_official_every_epoch(path):
    cfg = Config.fromfile(path)
    (hook_cfg, ) = cfg.custom_hooks
    hook = ClassifierRetrainingHook(**{
        k: v
        for k, v in hook_cfg.items() if k != 'type'
    })
    assert hook.start_epoch == 180
    got = epoch_lrs(cfg, hooks=[hook])
    assert got[:6] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.125, 0.15])
    assert got[180:186] == pytest.approx(
        [0.0375, 0.05, 0.0625, 0.075, 0.0875, 0.1])
    want = [official_lr(e) for e in range(cfg.train_cfg.max_epochs)]
    assert max(abs(g - w) for g, w in zip(got, want)) < 1e-12
