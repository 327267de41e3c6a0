# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict

from mmlt.registry import HOOKS


class NonFiniteLossError(RuntimeError):
    """Training produced a non-finite loss or non-finite parameters."""


def _names(names: List[str], limit: int = 10) -> str:
    shown = ', '.join(names[:limit])
    if len(names) > limit:
        shown += f', ... ({len(names) - limit} more)'
    return shown


def nonfinite_parameters(model) -> List[str]:
    """Names of the parameters of ``model`` holding a NaN or an infinity
    (one host sync for all of them)."""
    if is_model_wrapper(model):
        model = model.module
    named = [(n, p) for n, p in model.named_parameters() if p.numel()]
    if not named:
        return []
    finite = torch.stack([torch.isfinite(p.detach()).all()
                          for _, p in named]).cpu()
    return [n for (n, _), ok in zip(named, finite.tolist()) if not ok]


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stop training at the first non-finite loss, before anything is saved.

    Without it a diverged run (e.g. a far too large learning rate, or an
    AGLU/APA ``lambda_param`` that became NaN) trains on with ``loss: nan``,
    writes NaN checkpoints and exits 0. This hook raises
    :class:`NonFiniteLossError` naming

    - the iteration (1-based, as the logger prints it), the epoch and the
      batch in the epoch,
    - the non-finite loss terms (the keys of the loss dict: ``loss_ce``,
      ``loss_div``, ... and the total ``loss``), and
    - the parameters that are non-finite after that iteration's update.

    Cost: no extra host sync. mmengine's ``RuntimeInfoHook`` (priority
    ``VERY_HIGH``) already converts every logged value of the loss dict to a
    Python float *on every iteration* (``MessageHub.update_scalar`` calls
    ``.item()``), whatever the logger interval. This hook (priority ``HIGH``,
    so after it) reads those floats back from the message hub, so the check
    is exact (the iteration named is the first one with a non-finite loss on
    this rank) and free. Only when a non-finite loss is found are the
    parameters inspected (one sync).

    Ordering, so that no checkpoint of a NaN model is ever written:

    - ``after_train_iter`` runs before ``CheckpointHook`` (``VERY_LOW``,
      which saves there for iteration-based checkpoints) and raises, so the
      epoch never reaches ``after_train_epoch``: nothing is written for the
      failed epoch and the previous checkpoint stays the latest.
    - ``after_train_epoch`` checks that all parameters are finite (one sync
      per epoch) before ``SyncBuffersHook`` (``NORMAL``) and
      ``CheckpointHook`` run. Under DDP a NaN gradient of one rank reaches
      every rank through the all-reduce; a rank whose own last loss was
      finite then still stops here instead of saving.
    - ``before_train`` (after ``load_from`` / resume) checks the parameters
      once, so a NaN loaded or initialised parameter (e.g. an AGLU
      ``lambda_param``) is named before the first step spreads the NaN
      through every gradient into every parameter.

    Under ``AmpOptimWrapper`` a non-finite loss whose step the loss scaler
    skipped (all parameters still finite) is only warned about, as AMP
    expects occasional overflows; non-finite parameters still raise.

    mmlt's ``configs/_base_/default_runtime.py`` lists it in
    ``default_hooks`` (key ``finite_loss``); set
    ``default_hooks.finite_loss=None`` to turn it off.
    """
    priority = 'HIGH'  # after RuntimeInfoHook, before Sync/CheckpointHook

    @staticmethod
    def _value(runner, key, value) -> Optional[float]:
        buffer = runner.message_hub.log_scalars.get(f'train/{key}')
        if buffer is not None and len(buffer.data[0]):
            return float(buffer.current())  # already synced this iteration
        if isinstance(value, torch.Tensor):
            return float(value.detach().float().mean().item()) \
                if value.numel() else None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _amp(runner) -> bool:
        wrapper = getattr(runner, 'optim_wrapper', None)
        if isinstance(wrapper, OptimWrapperDict):
            return any(
                isinstance(w, AmpOptimWrapper) for w in wrapper.values())
        return isinstance(wrapper, AmpOptimWrapper)

    @staticmethod
    def _params_text(bad: List[str], runner, when: str) -> str:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        total = sum(1 for p in model.parameters() if p.numel())
        text = (f'{len(bad)} of {total} parameter tensors are non-finite '
                f'{when}: {_names(bad)}')
        if len(bad) == total and total > 1:
            text += (' (a non-finite loss makes every gradient NaN, so one '
                     'update spreads it to all parameters)')
        return text

    def before_train(self, runner) -> None:
        bad = nonfinite_parameters(runner.model)
        if bad:
            raise NonFiniteLossError(
                'FiniteLossHook: before the first iteration '
                f'(iteration {runner.iter + 1}), ' +
                self._params_text(bad, runner, 'after init / load_from / '
                                  'resume') +
                '. Training would only produce NaN; not started.')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs:
            return
        values: Dict[str, float] = {}
        for key, value in outputs.items():
            val = self._value(runner, key, value)
            if val is not None:
                values[key] = val
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        bad_losses = [k for k in bad if 'loss' in k]
        if not bad_losses:
            return
        params = nonfinite_parameters(runner.model)
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, '
                 f'batch {batch_idx + 1}')
        try:
            where += f'/{len(runner.train_dataloader)})'
        except Exception:  # noqa: BLE001 (a loader without len)
            where += ')'
        terms = [k for k in bad_losses if k != 'loss'] or ['loss']
        text = ', '.join(f'{k}={values[k]}' for k in terms)
        if terms != ['loss'] and 'loss' in values:
            text += f' (total loss={values["loss"]})'
        others = [k for k in bad if 'loss' not in k]
        if others:
            text += '; also non-finite: ' + ', '.join(f'{k}={values[k]}'
                                                      for k in others)
        if not params and self._amp(runner):
            runner.logger.warning(
                f'FiniteLossHook: non-finite loss at {where}: {text}; '
                'parameters are finite (the AMP loss scaler skipped the '
                'step), training goes on.')
            return
        msg = (f'FiniteLossHook: non-finite loss at {where}: {text}. '
               'Non-finite loss term(s): ' + ', '.join(terms) + '. ')
        if params:
            msg += self._params_text(params, runner,
                                     'after this iteration\'s update') + '. '
        else:
            msg += 'All parameters are still finite. '
        msg += ('Training stopped before any checkpoint of this state was '
                'written (the last saved checkpoint is the last good one); '
                'check the learning rate, the data and the loss inputs.')
        raise NonFiniteLossError(msg)

    def after_train_epoch(self, runner) -> None:
        bad = nonfinite_parameters(runner.model)
        if bad:
            raise NonFiniteLossError(
                f'FiniteLossHook: at the end of epoch {runner.epoch + 1} '
                f'(iteration {runner.iter}), ' +
                self._params_text(bad, runner, 'before saving') +
                '. Training stopped before the checkpoint of this epoch was '
                'written (the last saved checkpoint is the last good one).')
