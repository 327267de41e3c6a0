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
    are written exactly as for :class:`SwitchRecipeHook`. mmlt's configs use
    it for deferred re-weighting (DRW): ``action_epoch = DRW epoch + 1`` and
    ``loss`` = the re-weighted loss (LDAM-DRW, RIDE).
    """

    @staticmethod
    def _switch_loss(runner, loss_module):
        model = runner.model
        if is_model_wrapper(model):  # searches mmengine's root registry
            model = model.module
        SwitchRecipeHook._switch_loss(
            SimpleNamespace(model=model), loss_module)
