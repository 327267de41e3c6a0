# Copyright (c) mmlt contributors. All rights reserved.
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS


@HOOKS.register_module()
class DeferredReweightingHook(Hook):
    """Deferred re-weighting (DRW): switch the losses' class weights on from
    epoch ``start_epoch``.

    Before every training epoch, every module of the model with a
    ``set_reweight(enabled)`` method (:class:`LDAMLoss`, :class:`RIDELoss`)
    is told whether re-weighting is on: ``runner.epoch >= start_epoch``.
    ``start_epoch`` counts epochs like mmengine's ``MultiStepLR``
    milestones (0-based): ``start_epoch=160`` trains 160 epochs without
    weights and re-weights from the 161st, which is LDAM-DRW's and RIDE's
    ``reweight_epoch=160``. The state follows from the epoch alone, so
    resuming at any epoch and distributed training (the wrapped model is
    unwrapped) need nothing more. It pairs with
    :class:`DeferredResamplingHook` (DRS).

    Configs list it alone in ``custom_hooks`` (``ClassCountsHook`` is in
    ``default_hooks``), so a child changes the epoch with one line:
    ``custom_hooks = [dict(type='DeferredReweightingHook',
    start_epoch=80)]``, and a stage that trains no such loss (RIDE's router)
    sets ``custom_hooks = []``.

    Refers to `Learning Imbalanced Datasets with Label-Distribution-Aware
    Margin Loss (NeurIPS 2019) <https://arxiv.org/abs/1906.07413>`_.

    Args:
        start_epoch (int): Number of epochs trained before re-weighting
            starts.
    """
    priority = 'NORMAL'  # before ClassCountsHook (LOW) at each epoch start
    epoch_args = ('start_epoch', )  # scaled by tools/compare_methods.py

    def __init__(self, start_epoch: int):
        if not isinstance(start_epoch, int) or start_epoch < 0:
            raise ValueError('DeferredReweightingHook: start_epoch must be an '
                             f'int >= 0, got {start_epoch!r}.')
        self.start_epoch = start_epoch
        self._enabled = None

    def before_train_epoch(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        losses = [m for m in model.modules() if hasattr(m, 'set_reweight')]
        if not losses:
            raise TypeError(
                'DeferredReweightingHook found no module with '
                '`set_reweight` (e.g. LDAMLoss, RIDELoss) in '
                f'{type(model).__name__}; remove the hook or use such a '
                'loss.')
        enabled = runner.epoch >= self.start_epoch
        for module in losses:
            module.set_reweight(enabled)
        if enabled != self._enabled:
            runner.logger.info(
                f'DeferredReweightingHook: class re-weighting '
                f'{"on" if enabled else "off"} at epoch {runner.epoch + 1} '
                f'({", ".join(sorted({type(m).__name__ for m in losses}))}).')
            self._enabled = enabled
