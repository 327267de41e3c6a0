# Copyright (c) mmlt contributors. All rights reserved.
from typing import Sequence

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS


@HOOKS.register_module()
class ClassifierRetrainingHook(Hook):
    """Switch to classifier re-training (a second stage) at an epoch.

    From (0-based) epoch ``start_epoch`` on, every parameter whose name does
    not start with one of ``trainable`` stops requiring gradients, and
    modules with a ``set_stage`` method (``SHIKEHead``) are switched to
    stage 2 (their second classifier set and loss). BatchNorm layers of the
    frozen part keep updating their running statistics, as SHIKE's official
    code does, unless ``bn_eval=True``. The switch follows from the epoch,
    so resuming at any epoch re-applies it.

    The learning rate restarts: after the last first-stage epoch (before the
    config's param schedulers step) the learning rate of every parameter
    group is reset to its initial value, so the schedulers of the second
    stage in ``param_scheduler`` (those with ``begin=start_epoch``) start
    from it, e.g. SHIKE's second warm-up and cosine.

    Under DDP use ``model_wrapper_cfg=dict(type='MMDistributedDataParallel',
    find_unused_parameters=True)``: the second classifier set is unused in
    the first stage and the frozen parameters get no gradient in the second.

    Args:
        start_epoch (int): The first (0-based) epoch of the second stage
            (SHIKE's ``cornerstone``, 180 of 200 on CIFAR).
        trainable (Sequence[str]): Name prefixes of the parameters trained
            in the second stage, e.g. ``('head.rt_classifiers', )``.
        bn_eval (bool): Put the frozen BatchNorm layers in eval mode.
            Defaults to False.
    """
    priority = 'NORMAL'  # after_train_epoch: before ParamSchedulerHook (LOW)
    epoch_args = ('start_epoch', )  # scaled by tools/compare_methods.py

    def __init__(self,
                 start_epoch: int,
                 trainable: Sequence[str],
                 bn_eval: bool = False):
        if not isinstance(start_epoch, int) or start_epoch < 1:
            raise ValueError('ClassifierRetrainingHook: start_epoch must be '
                             f'an int >= 1, got {start_epoch!r}.')
        if not trainable:
            raise ValueError('ClassifierRetrainingHook: give the name '
                             'prefixes of the parameters to re-train.')
        self.start_epoch = start_epoch
        self.trainable = tuple(trainable)
        self.bn_eval = bn_eval

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train_epoch(self, runner) -> None:
        if runner.epoch < self.start_epoch:
            return
        model = self._model(runner)
        names = [n for n, _ in model.named_parameters()]
        if not any(n.startswith(self.trainable) for n in names):
            raise ValueError(
                f'ClassifierRetrainingHook: no parameter of '
                f'{type(model).__name__} starts with {self.trainable}.')
        switched = []
        for module in model.modules():
            if hasattr(module, 'set_stage'):
                module.set_stage(2)
                switched.append(type(module).__name__)
        for name, param in model.named_parameters():
            param.requires_grad_(name.startswith(self.trainable))
        if self.bn_eval:
            self.before_train_iter(runner)
        if runner.epoch == self.start_epoch:
            runner.logger.info(
                f'ClassifierRetrainingHook: epoch {runner.epoch + 1}: only '
                f'{self.trainable} trained from now on; stage 2 of '
                f'{switched or "no module"}.')

    def before_train_iter(self,
                          runner,
                          batch_idx=None,
                          data_batch=None) -> None:
        if not self.bn_eval or runner.epoch < self.start_epoch:
            return
        model = self._model(runner)
        for name, module in model.named_modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and \
                    not name.startswith(self.trainable):
                module.eval()

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 != self.start_epoch:
            return
        for optimizer in _optimizers(runner.optim_wrapper):
            for group in optimizer.param_groups:
                group['lr'] = group['initial_lr']


def _optimizers(optim_wrapper):
    """The torch optimizers of an optim wrapper (or a dict of them)."""
    wrappers = optim_wrapper.values() if hasattr(optim_wrapper, 'values') \
        else [optim_wrapper]
    return [w.optimizer for w in wrappers]
