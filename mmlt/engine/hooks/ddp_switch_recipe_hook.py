# Copyright (c) mmlt contributors. All rights reserved.
from types import SimpleNamespace

from mmengine.model import is_model_wrapper
from mmpretrain.engine.hooks import SwitchRecipeHook

from mmlt.registry import HOOKS


@HOOKS.register_module()
class DDPSwitchRecipeHook(SwitchRecipeHook):
    """mmpretrain's :class:`SwitchRecipeHook` whose loss switch also works
    under distributed training.

    In mmpretrain 1.2.0, ``SwitchRecipeHook._switch_loss`` unwraps the model
    only if its wrapper is registered in *mmpretrain's* ``MODEL_WRAPPERS``,
    which is empty, so with ``MMDistributedDataParallel`` (registered in
    mmengine's root registry) it raises "Cannot access the `loss_module` of
    the model". This subclass unwraps any mmengine model wrapper; schedules
    are written exactly as for :class:`SwitchRecipeHook` (e.g. a pipeline or
    loss switch at ``action_epoch``, 1-based). Deferred re-weighting (DRW)
    does not need it: :class:`DeferredReweightingHook` switches the
    re-weighting of the loss in place.
    """

    @staticmethod
    def _switch_loss(runner, loss_module):
        model = runner.model
        if is_model_wrapper(model):  # searches mmengine's root registry
            model = model.module
        SwitchRecipeHook._switch_loss(
            SimpleNamespace(model=model), loss_module)
