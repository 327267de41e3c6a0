# Copyright (c) mmlt contributors. All rights reserved.
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS


@HOOKS.register_module()
class LossWeightRampHook(Hook):
    """Ramp a loss weight linearly over the first epochs.

    Before every training epoch, the attribute ``name`` of every model module
    that has it is set to ``max_value * min(e / ramp_epochs, 1)`` with the
    1-based epoch ``e``: MDCS's consistency weight
    ``0.6 * min(epoch / 20, 1)`` (0.03 in the first epoch, 0.6 from the 20th)
    is ``LossWeightRampHook(name='cs_weight', max_value=0.6,
    ramp_epochs=20)``. The value follows from the epoch alone, so resuming
    and distributed training (the wrapped model is unwrapped) need nothing
    more.

    Args:
        name (str): The weight's attribute name, e.g. ``'cs_weight'`` of
            :class:`MDCSLoss`.
        max_value (float): The weight after the ramp.
        ramp_epochs (int): Length of the ramp in epochs.
    """
    priority = 'NORMAL'
    epoch_args = ('ramp_epochs', )  # scaled by tools/compare_methods.py

    def __init__(self, name: str, max_value: float, ramp_epochs: int):
        if not isinstance(ramp_epochs, int) or ramp_epochs < 1:
            raise ValueError('LossWeightRampHook: ramp_epochs must be an int '
                             f'>= 1, got {ramp_epochs!r}.')
        self.name = name
        self.max_value = float(max_value)
        self.ramp_epochs = ramp_epochs

    def value(self, epoch: int) -> float:
        """The weight in the 0-based ``epoch``."""
        return self.max_value * min((epoch + 1) / self.ramp_epochs, 1.)

    def before_train_epoch(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        modules = [m for m in model.modules() if hasattr(m, self.name)]
        if not modules:
            raise TypeError(
                f'LossWeightRampHook found no module with `{self.name}` in '
                f'{type(model).__name__}.')
        value = self.value(runner.epoch)
        for module in modules:
            setattr(module, self.name, value)
