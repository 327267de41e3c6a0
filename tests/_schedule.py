# Copyright (c) mmlt contributors. All rights reserved.
"""The learning rate of every epoch of a config's schedule."""
from types import SimpleNamespace

import torch
from mmengine.registry import PARAM_SCHEDULERS


def epoch_lrs(cfg, hooks=()):
    """Learning rates of epochs 0 .. max_epochs - 1 of an epoch-based config.

    The config's ``param_scheduler`` is built on a one-parameter SGD and
    stepped after every epoch as mmengine's ``ParamSchedulerHook`` does;
    ``hooks`` (e.g. ``ClassifierRetrainingHook``) run their
    ``after_train_epoch`` first, as a hook of higher priority does.
    """
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                                lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
        for s in cfg.param_scheduler
    ]
    runner = SimpleNamespace(
        optim_wrapper=SimpleNamespace(optimizer=optimizer))
    lrs = []
    for epoch in range(cfg.train_cfg.max_epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        runner.epoch = epoch
        for hook in hooks:
            hook.after_train_epoch(runner)
        for scheduler in schedulers:
            scheduler.step()
    return lrs
