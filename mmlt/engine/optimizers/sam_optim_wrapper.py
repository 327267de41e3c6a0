# Copyright (c) mmlt contributors. All rights reserved.
from contextlib import contextmanager
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmlt.registry import OPTIM_WRAPPERS

_PERTURBED_PASS = [False]


def in_sam_perturbed_pass() -> bool:
    """Whether the current forward is SAM's second pass at ``w + e(w)``.

    A model whose forward has side effects that must happen once per step
    (a MoCo-style momentum update or queue push) checks this and skips them
    in the perturbed pass.
    """
    return _PERTURBED_PASS[0]


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(OptimWrapper):
    """Sharpness-aware minimisation (SAM) as an mmengine optimizer wrapper.

    Each training step computes the gradient ``g`` of the loss at the weights
    ``w``, moves to ``w + e`` with ``e = rho * g / ||g||`` (ASAM with
    ``adaptive=True``: ``e = rho * w^2 * g / ||w * g||``; the norm is taken
    over all parameters together), computes the gradient there, returns to
    ``w`` and lets the wrapped optimizer step with that second gradient:
    ``w <- step(w, grad L(w + e))``.

    The second forward is the model's own: :meth:`optim_context` records the
    preprocessed batch the model's ``train_step`` runs under it
    (``BaseModel`` and ``MMDistributedDataParallel`` call ``_run_forward``
    inside ``optim_context``), and :meth:`update_params` runs it again at
    ``w + e``. So any config uses it by changing the wrapper type only::

        optim_wrapper = dict(type='SAMOptimWrapper', rho=0.05,
                             optimizer=dict(type='SGD', lr=0.1, momentum=0.9))

    ``rho`` is stored in every parameter group (``group['rho']``), so
    mmengine's parameter schedulers schedule it like the learning rate,
    e.g. ``dict(type='MultiStepParamScheduler', param_name='rho',
    milestones=[5], gamma=2., by_epoch=True)``; a parameter-wise ``rho`` may
    be given in ``paramwise_cfg``'s custom groups.

    Gradient accumulation (``accumulative_counts > 1``): each micro-batch is
    perturbed by its own gradient and the gradients at the perturbed points
    are accumulated, as plain accumulation accumulates plain gradients.
    Gradients of the earlier micro-batches are set aside during the first
    backward and put back before the second, so under DDP both backward
    passes keep the wrapper's ``no_sync`` pattern: in the synchronising
    micro-batch the ascent gradient is the all-reduced one (the same ``e`` on
    every rank) and the all-reduce of the second backward averages the whole
    accumulated gradient. In the other micro-batches each rank perturbs with
    its local gradient.

    Mixed precision: use :class:`AmpSAMOptimWrapper`. ``e`` does not depend
    on a uniform gradient scale, so the scaled ascent gradient is used as is;
    if it is not finite the step is taken without perturbation.

    BatchNorm running statistics are updated in both passes, as in the
    reference implementations (Foret et al.; Rangwani et al.).

    Refers to `Sharpness-Aware Minimization for Efficiently Improving
    Generalization (ICLR 2021) <https://arxiv.org/abs/2010.01412>`_ and, for
    its use on long-tailed data, `Escaping Saddle Points for Effective
    Generalization on Class-Imbalanced Data (NeurIPS 2022)
    <https://arxiv.org/abs/2212.13827>`_.

    Args:
        optimizer (Optimizer): The wrapped optimizer (SGD in the papers).
        rho (float): Radius of the perturbation, ``>= 0`` (0 is plain
            training at twice the cost). Defaults to 0.05.
        adaptive (bool): ASAM's scale-invariant perturbation. Defaults to
            False.
        eps (float): Added to the gradient norm. Defaults to 1e-12.
        **kwargs: Other arguments of :class:`OptimWrapper`
            (``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self,
                 optimizer,
                 rho: float = 0.05,
                 adaptive: bool = False,
                 eps: float = 1e-12,
                 **kwargs):
        super().__init__(optimizer=optimizer, **kwargs)
        if not rho >= 0:  # also catches NaN
            raise ValueError(f'SAMOptimWrapper: rho must be >= 0, got {rho}.')
        self.eps = eps
        for group in self.optimizer.param_groups:
            group.setdefault('rho', rho)
            group.setdefault('adaptive', adaptive)
        self._forward: Optional[Tuple[nn.Module, object, str]] = None

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The host's context (no_sync, autocast) plus recording of the
        forward the model runs in it."""
        own = model.__dict__.get('_run_forward')
        run_forward = model._run_forward

        def recording_forward(data, mode):
            self._forward = (model, data, mode)
            return run_forward(data, mode)

        model._run_forward = recording_forward
        try:
            with super().optim_context(model):
                yield
        finally:
            if own is None:
                del model._run_forward  # the class's method again
            else:
                model._run_forward = own

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Ascent step, second forward/backward at ``w + e``, optimizer step
        at ``w`` (when the accumulation says so)."""
        if self._forward is None:
            raise RuntimeError(
                'SAMOptimWrapper needs the forward of this step: run it '
                'inside `with optim_wrapper.optim_context(model):` as '
                "mmengine's BaseModel.train_step does, then call "
                'update_params(loss).')
        model, data, mode = self._forward
        self._forward = None
        params = [
            p for group in self.optimizer.param_groups for p in group['params']
            if p.requires_grad
        ]
        accumulated = [p.grad for p in params]
        for p in params:
            p.grad = None
        self._backward_once(self.scale_loss(loss))
        saved = self._perturb()
        for p, grad in zip(params, accumulated):
            p.grad = grad
        _PERTURBED_PASS[0] = True
        try:
            with self.optim_context(model):
                losses = model._run_forward(data, mode=mode)
        finally:
            _PERTURBED_PASS[0] = False
            self._forward = None
        module = model.module if is_model_wrapper(model) else model
        perturbed_loss, _ = module.parse_losses(losses)
        self.backward(self.scale_loss(perturbed_loss))
        with torch.no_grad():
            for p, w in saved:
                p.copy_(w)
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def _backward_once(self, loss: torch.Tensor) -> None:
        """The ascent backward: like :meth:`backward` (loss scaling included)
        without counting a step."""
        scaler = getattr(self, 'loss_scaler', None)
        (loss if scaler is None else scaler.scale(loss)).backward()

    @torch.no_grad()
    def _perturb(self) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        """Move every parameter with a gradient to ``w + e(w)``; return the
        ``(parameter, w)`` pairs to restore."""
        groups = [(group, [p for p in group['params'] if p.grad is not None])
                  for group in self.optimizer.param_groups]
        norms = [(p.abs() * p.grad if group['adaptive'] else p.grad).norm(2)
                 for group, ps in groups for p in ps]
        if not norms:
            return []
        norm = torch.linalg.vector_norm(torch.stack(norms))
        if not torch.isfinite(norm):
            return []  # an overflowing (scaled) gradient: no perturbation
        saved = []
        for group, ps in groups:
            scale = group['rho'] / (norm + self.eps)
            for p in ps:
                e = p.grad * scale.to(p.grad)
                if group['adaptive']:
                    e.mul_(p * p)
                saved.append((p, p.detach().clone()))
                p.add_(e)
        return saved


@OPTIM_WRAPPERS.register_module()
class AmpSAMOptimWrapper(SAMOptimWrapper, AmpOptimWrapper):
    """:class:`SAMOptimWrapper` with mmengine's automatic mixed precision
    (autocast in both forwards, loss scaling in both backwards, unscaling,
    clipping and overflow skipping in the step).

    Args:
        optimizer (Optimizer): The wrapped optimizer.
        rho (float): Radius of the perturbation. Defaults to 0.05.
        adaptive (bool): ASAM's scale-invariant perturbation. Defaults to
            False.
        **kwargs: Other arguments of :class:`AmpOptimWrapper`
            (``loss_scale``, ``dtype``) and :class:`OptimWrapper`.
    """
