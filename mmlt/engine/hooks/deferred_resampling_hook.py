# Copyright (c) mmlt contributors. All rights reserved.
import copy

from mmengine.hooks import Hook

from mmlt.registry import DATA_SAMPLERS, HOOKS


@HOOKS.register_module()
class DeferredResamplingHook(Hook):
    """Switch the train sampler from epoch ``action_epoch`` on (DRS).

    Deferred re-sampling (Cao et al., NeurIPS 2019): train with the usual
    sampler first, then re-sample (e.g. class-balanced) for the last epochs.
    mmpretrain's ``SwitchRecipeHook`` swaps losses, pipelines and batch
    augments but not samplers; this hook does the sampler. Deferred
    re-*weighting* (DRW) is a ``SwitchRecipeHook`` loss switch.

    The new sampler must yield as many indices per epoch as the old one
    (all mmlt samplers and ``DefaultSampler`` yield ``len(dataset)`` in total)
    because the train loop fixed its iteration count at start. Resuming past
    ``action_epoch`` re-applies the switch.

    Args:
        action_epoch (int): 1-based epoch from which the new sampler is used,
            the ``SwitchRecipeHook`` convention (``action_epoch=161`` switches
            after 160 epochs).
        sampler (dict): Config of the new sampler, built with the train
            dataset. Defaults to ``dict(type='ClassBalancedSampler')``.
    """
    priority = 'NORMAL'
    epoch_args = ('action_epoch', )  # scaled by tools/compare_methods.py

    def __init__(self,
                 action_epoch: int,
                 sampler: dict = dict(type='ClassBalancedSampler')):
        if action_epoch < 1:
            raise ValueError(f'action_epoch is 1-based, got {action_epoch}.')
        self.action_epoch = action_epoch
        self.sampler_cfg = sampler
        self.sampler = None

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_loop.dataloader
        if self.sampler is None and runner.epoch + 1 >= self.action_epoch:
            cfg = copy.deepcopy(self.sampler_cfg)
            cfg.setdefault('seed', runner.seed)
            sampler = DATA_SAMPLERS.build(
                cfg, default_args=dict(dataset=loader.dataset))
            if len(sampler) != len(loader.batch_sampler.sampler):
                raise ValueError(
                    f'DeferredResamplingHook: the new sampler yields '
                    f'{len(sampler)} indices per epoch on this rank, the old '
                    f'one {len(loader.batch_sampler.sampler)}.')
            loader.batch_sampler.sampler = sampler
            # DataLoader forbids setting `sampler` after init; keep it in
            # sync so DistSamplerSeedHook and loops see the new sampler.
            object.__setattr__(loader, 'sampler', sampler)
            loader._iterator = None  # restart persistent workers' iterator
            self.sampler = sampler
            runner.logger.info(f'DeferredResamplingHook: switched to '
                               f'{type(sampler).__name__} at epoch '
                               f'{runner.epoch + 1}.')
        if self.sampler is not None:
            self.sampler.set_epoch(runner.epoch)
