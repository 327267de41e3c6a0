# Copyright (c) mmlt contributors. All rights reserved.
"""APA and AGLU as functions: the reference formula and the dispatch to the
fused implementation.

APA, the adaptive parametric activation of Alexandridis et al., `Adaptive
Parametric Activation (ECCV 2024) <https://arxiv.org/abs/2407.08567>`_, is
the gate

    eta(z; kappa, lambda) = (1 + lambda * exp(-kappa * z)) ** (-1 / lambda)

and AGLU is ``z * eta``. Both are computed in the stable form of the
official code: with ``x = kappa * z - ln(lambda)``,
``eta = exp(-softplus(-x) / lambda)``.

Two implementations:

- ``impl='autograd'``, the *reference* (:func:`_reference`): the formula
  above written with torch ops; autograd derives the gradients (double
  backward works).
- ``impl='fused'`` (default): :class:`~.apa_fused.FusedAPAFunction`, one
  autograd function with the analytic gradients, compiled on CPU; tested
  against the reference.
"""
from typing import Optional

import torch
import torch.nn.functional as F

from .apa_fused import FusedAPAFunction, compute_dtype

__all__ = ['apa', 'aglu']

_IMPLS = ('fused', 'autograd')


def _reference(z, kappa, lam, gate_only):
    """``eta`` (APA) or ``z * eta`` (AGLU), computed in float32 (float64 for
    float64 inputs) and returned in the input dtype."""
    ct = compute_dtype(z, kappa)
    zc, kc, lc = z.to(ct), kappa.to(ct), lam.to(ct)
    x = kc * zc - torch.log(lc)
    # softplus(-x) = ln(1 + e^-x) = -S_(x) of the official code (beta=-1)
    eta = torch.exp(-F.softplus(-x) / lc)
    return (eta if gate_only else zc * eta).to(z.dtype)


def _resolve_channel_dim(ndim: int, channel_dim: Optional[int]) -> int:
    if channel_dim is not None:
        if not -ndim <= channel_dim < ndim:
            raise ValueError(f'channel_dim={channel_dim} is out of range for '
                             f'a {ndim}-D input.')
        return channel_dim % ndim
    return 1 if ndim >= 4 else ndim - 1


# the official AGLU code's floor on lambda (with its custom backward)
LEGACY_LAMBDA_EPS = 1e-8


def _apply(z: torch.Tensor, kappa: torch.Tensor, lam: torch.Tensor,
           gate_only: bool, lambda_min: float, channel_dim: Optional[int],
           legacy_lambda_grad: bool, impl: str) -> torch.Tensor:
    name = 'APA' if gate_only else 'AGLU'
    if impl not in _IMPLS:
        raise ValueError(f"{name}: impl must be one of {_IMPLS}, got "
                         f'{impl!r}.')
    if legacy_lambda_grad and impl != 'fused':
        raise ValueError(f"{name}: legacy_lambda_grad=True needs "
                         f"impl='fused', got impl={impl!r}.")
    if not z.is_floating_point():
        raise TypeError(f'{name} expects a floating-point input, got '
                        f'{z.dtype}.')
    if kappa.shape != lam.shape or kappa.dim() != 1:
        raise ValueError(f'{name}: kappa and lambda must be 1-D tensors of '
                         f'the same size, got {tuple(kappa.shape)} and '
                         f'{tuple(lam.shape)}.')
    if legacy_lambda_grad:  # the official floor: relu(lambda) + 1e-8
        lam = torch.relu(lam) + LEGACY_LAMBDA_EPS
    else:
        lam = lam.clamp_min(lambda_min)  # zero gradient below the floor
    num = kappa.numel()
    if num == 1:  # layer-wise: one (kappa, lambda) for the whole tensor
        zz, kk, ll = z.reshape(-1), kappa.reshape(()), lam.reshape(())
    else:  # channel-wise: view the input as (A, C, B)
        if z.dim() == 0:
            raise ValueError(f'{name} with num_parameters={num} needs an '
                             'input with a channel dimension.')
        d = _resolve_channel_dim(z.dim(), channel_dim)
        if z.shape[d] != num:
            raise ValueError(
                f'{name} has num_parameters={num} but the input of shape '
                f'{tuple(z.shape)} has {z.shape[d]} channels along dim {d}.')
        a = 1
        for s in z.shape[:d]:
            a *= s
        zz = z.reshape(a, num, z.numel() // max(a * num, 1))
        kk, ll = kappa.view(1, num, 1), lam.view(1, num, 1)
    if impl == 'autograd':
        out = _reference(zz, kk, ll, gate_only)
    else:
        out = FusedAPAFunction.apply(zz, kk, ll, gate_only,
                                     bool(legacy_lambda_grad))
    return out.reshape(z.shape)


def apa(z: torch.Tensor,
        kappa: torch.Tensor,
        lam: torch.Tensor,
        lambda_min: float = 1e-4,
        channel_dim: Optional[int] = None,
        impl: str = 'fused') -> torch.Tensor:
    """The APA gate ``(1 + lambda e^(-kappa z))^(-1/lambda)``.

    Args:
        z (Tensor): Input, any floating dtype (computed in float32, or
            float64 for float64 input; returned in the input dtype).
        kappa (Tensor): Shape ``(1,)`` (layer-wise) or ``(C,)``
            (channel-wise).
        lam (Tensor): Same shape as ``kappa``; clamped to ``>= lambda_min``.
        lambda_min (float): Floor of lambda. Defaults to 1e-4.
        channel_dim (int, optional): Channel dimension of ``z`` for ``(C,)``
            parameters; by default dim 1 for inputs with >= 4 dims (N, C,
            H, W, ...) and the last dim otherwise (N, C) / (N, L, C).
        impl (str): ``'fused'`` or ``'autograd'``. Defaults to ``'fused'``.
    """
    return _apply(z, kappa, lam, True, lambda_min, channel_dim, False, impl)


def aglu(z: torch.Tensor,
         kappa: torch.Tensor,
         lam: torch.Tensor,
         lambda_min: float = 1e-4,
         channel_dim: Optional[int] = None,
         legacy_lambda_grad: bool = False,
         impl: str = 'fused') -> torch.Tensor:
    """AGLU ``z * APA(z)``; same arguments as :func:`apa`, plus
    ``legacy_lambda_grad`` (the official, incorrect lambda gradient; needs
    ``impl='fused'``)."""
    return _apply(z, kappa, lam, False, lambda_min, channel_dim,
                  legacy_lambda_grad, impl)
