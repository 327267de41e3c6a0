# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS
from .ddp_switch_recipe_hook import DDPSwitchRecipeHook


@HOOKS.register_module()
class DRWSwitchRecipeHook(DDPSwitchRecipeHook):
    """Deferred re-weighting together with a recipe switch, at one epoch.

    From epoch ``start_epoch`` on (0-based, like
    :class:`DeferredReweightingHook`: ``start_epoch=K`` trains ``K`` epochs
    in the first recipe and switches before the ``K+1``-th), this hook

    * switches the class weights of every model module with
      ``set_reweight(enabled)`` on (``reweight=True``; e.g. the DIST loss
      :class:`DeiTLTDistillLoss`; ``set_reweight(False)`` before),
    * switches the batch augments (Mixup/CutMix) of the data preprocessor
      off (``batch_augments_off=True``), and with them its one-hot
      ``gt_score`` targets (``to_onehot``, which mmpretrain turns on for
      batch augments), so the loss gets the hard labels,
    * replaces the head's ``loss_module`` by ``loss`` (e.g. plain
      ``CrossEntropyLoss``: no label smoothing),

    which is DeiT-LT's ``--drw K --no-mixup-drw``. The batch-augment and
    loss switches are done by :class:`DDPSwitchRecipeHook`'s ``_do_switch``,
    which unwraps any mmengine model wrapper (DDP).

    The state follows from the epoch alone: before every training epoch the
    re-weighting is set from ``runner.epoch >= start_epoch`` and, the first
    time that holds in this process, the recipe is switched. A run resumed
    (or restarted with ``load_from`` and a later ``train_cfg`` start) past
    ``start_epoch`` is therefore in the switched state from its first
    epoch, and every DDP rank switches at the same epoch.

    Refers to `DeiT-LT: Distillation Strikes Back for Vision Transformer
    Training on Long-Tailed Datasets (CVPR 2024)
    <https://arxiv.org/abs/2404.02900>`_ and `LDAM-DRW (NeurIPS 2019)
    <https://arxiv.org/abs/1906.07413>`_.

    Short schedules: ``start_ratio`` instead of ``start_epoch`` puts the
    switch at ``round(start_ratio * max_epochs)`` of the run's
    ``train_cfg.max_epochs`` (e.g. ``11 / 12`` = DeiT-LT's 1100 of 1200),
    so ``--cfg-options train_cfg.max_epochs=N`` moves it along.

    Args:
        start_epoch (int, optional): Epochs trained before the switch
            (0-based).
        start_ratio (float, optional): The switch epoch as a fraction of
            ``max_epochs``, in [0, 1]; give exactly one of ``start_epoch``
            and ``start_ratio``.
        loss (dict, optional): The head's loss from ``start_epoch`` on.
            Defaults to ``dict(type='CrossEntropyLoss', loss_weight=1.0)``;
            None keeps the loss.
        batch_augments_off (bool): Switch the batch augments off. Defaults
            to True.
        reweight (bool): Call ``set_reweight`` (a model without such a
            module is an error). False for a student without re-weighted
            loss (e.g. the plain-CE ViT baseline). Defaults to True.
    """
    priority = 'NORMAL'  # before ClassCountsHook (LOW) at each epoch start
    epoch_args = ('start_epoch', )  # scaled by tools/compare_methods.py

    def __init__(self,
                 start_epoch: Optional[int] = None,
                 loss: Optional[dict] = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 batch_augments_off: bool = True,
                 reweight: bool = True,
                 start_ratio: Optional[float] = None):
        if (start_epoch is None) == (start_ratio is None):
            raise ValueError('DRWSwitchRecipeHook: give exactly one of '
                             'start_epoch and start_ratio, got '
                             f'{start_epoch!r} and {start_ratio!r}.')
        if start_epoch is not None and (not isinstance(start_epoch, int)
                                        or isinstance(start_epoch, bool)
                                        or start_epoch < 0):
            raise ValueError('DRWSwitchRecipeHook: start_epoch must be an '
                             f'int >= 0, got {start_epoch!r}.')
        if start_ratio is not None and not (isinstance(start_ratio,
                                                       (int, float))
                                            and 0 <= start_ratio <= 1):
            raise ValueError('DRWSwitchRecipeHook: start_ratio must be in '
                             f'[0, 1], got {start_ratio!r}.')
        # SwitchRecipeHook's schedule holds the recipe; its action_epoch is
        # not used (see before_train_epoch)
        recipe = dict(action_epoch=(start_epoch or 0) + 1)
        if batch_augments_off:
            recipe['batch_augments'] = None
        if loss is not None:
            recipe['loss'] = loss
        super().__init__(schedule=[recipe])
        self.start_epoch = start_epoch
        self.start_ratio = start_ratio
        self.reweight = reweight
        self._switched = False
        self._reweighted = None

    @staticmethod
    def _unwrap(model):
        return model.module if is_model_wrapper(model) else model

    @staticmethod
    def _switch_batch_augments(runner, batch_augments):
        DDPSwitchRecipeHook._switch_batch_augments(runner, batch_augments)
        if batch_augments is None:
            preprocessor = DRWSwitchRecipeHook._unwrap(
                runner.model).data_preprocessor
            if hasattr(preprocessor, 'to_onehot'):
                preprocessor.to_onehot = False

    def switch_epoch(self, runner) -> int:
        """The 0-based epoch from which the switched recipe trains."""
        if self.start_epoch is not None:
            return self.start_epoch
        return int(round(self.start_ratio * runner.max_epochs))

    def before_train(self, runner) -> None:
        """Nothing: the state is set from the epoch before every epoch."""

    def before_train_epoch(self, runner) -> None:
        enabled = runner.epoch >= self.switch_epoch(runner)
        if self.reweight:
            model = self._unwrap(runner.model)
            losses = [m for m in model.modules() if hasattr(m, 'set_reweight')]
            if not losses:
                raise TypeError(
                    'DRWSwitchRecipeHook found no module with `set_reweight`'
                    f' (e.g. DeiTLTDistillLoss) in {type(model).__name__}; '
                    'set reweight=False or use such a loss.')
            for module in losses:
                module.set_reweight(enabled)
            if enabled != self._reweighted:
                names = ', '.join(sorted({type(m).__name__ for m in losses}))
                runner.logger.info(f'DRWSwitchRecipeHook: class re-weighting '
                                   f'{"on" if enabled else "off"} at epoch '
                                   f'{runner.epoch + 1} ({names}).')
                self._reweighted = enabled
        if enabled and not self._switched:
            (recipe, ) = self.schedule.values()
            self._do_switch(runner, recipe, f' at epoch {runner.epoch + 1}')
            self._switched = True
