# Copyright (c) mmlt contributors. All rights reserved.
import math

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS


@HOOKS.register_module()
class RhoRampHook(Hook):
    """Ramp the transported fraction ``rho`` of P²OT every iteration.

    ``rho(t) = rho_start + (rho_end - rho_start) * ramp(t / T)`` with ``t``
    the global iteration and ``T`` the total iterations; ``'sigmoid'`` is
    ``exp(-power * (1 - t / T)^2)`` (the "sigmoid" ramp-up of Laine & Aila,
    used by P²OT, Eq. 7), ``'linear'`` is ``t / T`` and ``'fixed'`` keeps
    ``rho_start``. Every module of the model with a ``set_rho`` method gets
    the value; it is also logged as ``rho``.

    Args:
        rho_start (float): ``rho`` at the first iteration. Defaults to 0.1.
        rho_end (float): ``rho`` at the last. Defaults to 1.0.
        strategy (str): ``'sigmoid'``, ``'linear'`` or ``'fixed'``.
        power (float): Sharpness of the sigmoid ramp. Defaults to 5.
    """
    priority = 'NORMAL'

    def __init__(self,
                 rho_start: float = 0.1,
                 rho_end: float = 1.0,
                 strategy: str = 'sigmoid',
                 power: float = 5.0):
        if strategy not in ('sigmoid', 'linear', 'fixed'):
            raise ValueError("strategy must be 'sigmoid', 'linear' or "
                             f"'fixed', got {strategy!r}.")
        for name, value in (('rho_start', rho_start), ('rho_end', rho_end)):
            if not 0 < value <= 1:
                raise ValueError(f'{name} must be in (0, 1], got {value}.')
        self.rho_start = rho_start
        self.rho_end = rho_end
        self.strategy = strategy
        self.power = power

    def rho_at(self, step: int, total: int) -> float:
        """``rho`` at iteration ``step`` of ``total``."""
        if self.strategy == 'fixed' or total <= 0:
            ramp = 0.0 if self.strategy == 'fixed' else 1.0
        else:
            frac = min(max(step / total, 0.0), 1.0)
            ramp = frac if self.strategy == 'linear' else \
                math.exp(-self.power * (1.0 - frac)**2)
        return self.rho_start + (self.rho_end - self.rho_start) * ramp

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        rho = self.rho_at(runner.iter, runner.max_iters)
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for module in model.modules():
            if hasattr(module, 'set_rho'):
                module.set_rho(rho)
        runner.message_hub.update_scalar('train/rho', rho)
