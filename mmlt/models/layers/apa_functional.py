# Copyright (c) mmlt contributors. All rights reserved.
"""Functional APA / AGLU: the reference formula and the fused implementation.

APA, the adaptive parametric activation of Alexandridis et al., *Adaptive
Parametric Activation*, ECCV 2024, is the gate

    eta(z; kappa, lambda) = (1 + lambda * exp(-kappa * z)) ** (-1 / lambda)

and AGLU is ``z * eta``. Both are computed in the stable form of the
official code: with ``x = kappa * z - ln(lambda)``,
``eta = exp(-softplus(-x) / lambda)``.

Two implementations:

- ``impl='autograd'`` (the *reference*): the stable formula written with
  torch ops; autograd derives the gradients (double backward works).
- ``impl='fused'`` (default): a custom :class:`torch.autograd.Function` that
  saves only its inputs and evaluates the analytic gradients in one pass. On
  CPU its forward and backward bodies (pure elementwise code plus the two sums
  of the parameter gradients) are compiled lazily, at first use, with
  :func:`torch.compile` (inductor generates one vectorised, OpenMP-parallel
  C++ loop each); when compilation is unavailable or fails, the same bodies
  run eagerly (a warning is issued once). Set ``MMLT_APA_COMPILE=0`` or call
  :func:`set_apa_compile` to switch compilation off.

Gradients (with ``sigma(-x) = 1 / (1 + e^x)`` and ``t = eta * sigma(-x) /
lambda = eta / (lambda + e^(kappa z))``):

    d eta / dz      = kappa * t
    d eta / dkappa  = z * t
    d eta / dlambda = eta * (ln(1 + e^-x) - sigma(-x)) / lambda^2
    d AGLU / dz     = eta + kappa * z * t, and z times the others.

``legacy_lambda_grad=True`` (AGLU only) returns the official custom backward's
``d AGLU / dlambda = -(z / lambda) * t`` (``UniRect_static`` in
``kostas1515/AGLU``), which drops the ``ln(1 + e^-x) / lambda^2`` term; it
exists only to reproduce the published classification models.
"""
import os
import warnings
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F

__all__ = ['apa', 'aglu', 'set_apa_compile', 'apa_compile_enabled']

_IMPLS = ('fused', 'autograd')
_COMPILE = {'enabled': os.environ.get('MMLT_APA_COMPILE', '1') != '0'}
_COMPILED: Dict[tuple, Callable] = {}
_FAILED: Dict[tuple, str] = {}


def set_apa_compile(enabled: bool) -> None:
    """Switch the lazily compiled CPU kernels of the fused path on or off
    (off: the same analytic kernels run eagerly)."""
    _COMPILE['enabled'] = bool(enabled)


def apa_compile_enabled() -> bool:
    return _COMPILE['enabled']


# --------------------------------------------------------------------------
# Kernel bodies: pure elementwise math (+ sums), compiled or run eagerly.
# --------------------------------------------------------------------------
def _exp_nonpos(x):
    """``exp(x)`` for ``x <= 0``, written out so that inductor inlines it.

    Inductor calls Sleef's ``exp`` out of line, which spills the vector
    registers live across the call; here: ``n = round(x / ln 2)``,
    ``r = x - n ln 2`` (Cody-Waite split of ln 2), a degree-6 Taylor
    polynomial of ``e^r`` on ``|r| <= ln(2)/2`` and ``2^n`` built in the
    exponent bits; relative error 2.5e-7, exactly 0 below -87 (no
    subnormals). Used only while compiling a float32 CPU kernel; eager code,
    other dtypes and devices use ``torch.exp``.
    """
    if not (x.dtype == torch.float32 and x.device.type == 'cpu'
            and torch.compiler.is_compiling()):
        return torch.exp(x)
    xc = torch.clamp_min(x, -87.0)
    n = torch.floor(xc * 1.4426950408889634 + 0.5)
    r = (xc - n * 0.693145751953125) - n * 1.4286068202862268e-06
    p = 1.0 + r * (1.0 + r *
                   (0.5 + r *
                    (0.16666666666666666 + r *
                     (0.041666666666666664 + r *
                      (0.008333333333333333 + r * 0.001388888888888889)))))
    scale = ((n.to(torch.int32) + 127) << 23).view(torch.float32)
    return torch.where(x < -87.0, torch.zeros_like(p), p * scale)


def _log1p_series(r):
    """``log1p(e) = 2 atanh(r)`` for ``r = e / (2 + e)`` in [0, 1/3]:
    ``atanh(r) / r = 1 + p (c1 + p (c2 + p (c3 + p c4)))``, ``p = r^2``, a
    degree-4 least-squares fit on Chebyshev nodes of [0, 1/9] (max relative
    error 5e-9); avoids the slow vectorised ``log1p``. (Literal coefficients:
    dynamo bakes them into the kernel.)"""
    p = r * r
    poly = ((0.14013819783837259 * p + 0.13999086629288088) * p +
            0.20010895427414194) * p + 0.3333320523403177
    return (2.0 * r) * (poly * p + 1.0)


def _softplus_neg(z, kappa, log_lam, with_sigmoid=False):
    """``x = kappa z - ln(lambda)``, ``sp = ln(1 + e^-x)`` (= ``-S_(x)``,
    the official ``Softplus(beta=-1)``) and, if asked, ``sigmoid(-x)``; all
    from one ``e = exp(-|x|)``, finite for every finite input."""
    x = kappa * z - log_lam
    if x.dtype != torch.float32:
        e = torch.exp(-x.abs())
        sp = torch.clamp_min(-x, 0.0) + torch.log1p(e)
        sig = torch.where(x >= 0, e, torch.ones_like(e)) / (1.0 + e)
        return x, sp, sig
    if not with_sigmoid:  # forward
        e = _exp_nonpos(-x.abs())
        return x, torch.clamp_min(-x, 0.0) + _log1p_series(e / (2.0 + e)), None
    # backward: Sleef exp (the inlined one makes inductor split this loop)
    # and one division for both e / (2 + e) and sigmoid(-x) = {e, 1} / (1 + e)
    e = torch.exp(-x.abs())
    a, b = 1.0 + e, 2.0 + e
    q = 1.0 / (a * b)
    sp = torch.clamp_min(-x, 0.0) + _log1p_series(e * a * q)
    sig = torch.where(x >= 0, e, torch.ones_like(e)) * (b * q)
    return x, sp, sig


def _gate(z, kappa, log_lam, inv_lam):
    _, sp, sig = _softplus_neg(z, kappa, log_lam, with_sigmoid=True)
    eta = torch.exp(-sp * inv_lam)
    return sp, sig, eta, eta * sig * inv_lam  # t = eta / (lambda + e^kz)


def _param_sum(v, param):
    """Sum to the parameter's shape: () layer-wise, (1, C, 1) channel-wise
    (the input is viewed as (A, C, B))."""
    return v.sum() if param.dim() == 0 else v.sum(dim=(0, 2), keepdim=True)


# One top-level function per variant: dynamo caches compiled graphs per code
# object (at most ``recompile_limit`` each); a variant sees at most
# {layer-wise, channel-wise} x {float32, float64}.
def _apa_fwd(z, kappa, log_lam, inv_lam):
    return _exp_nonpos(-_softplus_neg(z, kappa, log_lam)[1] * inv_lam)


def _aglu_fwd(z, kappa, log_lam, inv_lam):
    return z * _exp_nonpos(-_softplus_neg(z, kappa, log_lam)[1] * inv_lam)


def _apa_bwd(g, z, kappa, log_lam, inv_lam):
    sp, sig, eta, t = _gate(z, kappa, log_lam, inv_lam)
    grad_lam = _param_sum(g * eta * (sp - sig), kappa) * (inv_lam * inv_lam)
    return g * kappa * t, _param_sum(g * z * t, kappa), grad_lam


def _aglu_bwd(g, z, kappa, log_lam, inv_lam):
    sp, sig, eta, t = _gate(z, kappa, log_lam, inv_lam)
    gz = g * z
    grad_lam = _param_sum(gz * eta * (sp - sig), kappa) * (inv_lam * inv_lam)
    return (g * (eta + kappa * z * t), _param_sum(gz * z * t, kappa), grad_lam)


def _aglu_bwd_legacy(g, z, kappa, log_lam, inv_lam):
    """The official ``UniRect_static.backward``: d/dlambda = -(z/lambda) t."""
    _, _, eta, t = _gate(z, kappa, log_lam, inv_lam)
    gz = g * z
    return (g * (eta + kappa * z * t), _param_sum(gz * z * t, kappa),
            -_param_sum(gz * t, kappa) * inv_lam)


_KERNELS = {
    ('fwd', True, False): _apa_fwd,
    ('fwd', False, False): _aglu_fwd,
    ('bwd', True, False): _apa_bwd,
    ('bwd', False, False): _aglu_bwd,
    ('bwd', False, True): _aglu_bwd_legacy,
}


def _run(role: str, gate_only: bool, legacy: bool, *args):
    """Run a kernel body, compiled (CPU, lazily) or eagerly."""
    key = (role, gate_only, legacy and role == 'bwd')
    body = _KERNELS[key]
    if (args[0].device.type != 'cpu' or not _COMPILE['enabled']
            or key in _FAILED or torch.compiler.is_compiling()):
        return body(*args)
    fn = _COMPILED.get(key)
    if fn is None:
        fn = _COMPILED[key] = torch.compile(
            body,
            dynamic=True,
            fullgraph=True,
            options={
                # one parallel region whatever the size hint of the first
                # call; FMA contraction of the polynomials (~7% faster)
                'cpp.dynamic_threads': True,
                'cpp.enable_floating_point_contract_flag': 'fast',
            })
    try:
        return fn(*args)
    except Exception as err:  # noqa: BLE001 - any compiler failure
        _FAILED[key] = repr(err)
        warnings.warn(
            'mmlt APA/AGLU: torch.compile of the fused CPU kernel failed '
            f'({type(err).__name__}: {err}); using the eager kernel.')
        return body(*args)


class _FusedAPAFunction(torch.autograd.Function):
    """APA / AGLU with the analytic backward; saves only the inputs."""

    @staticmethod
    def forward(ctx, z, kappa, lam, gate_only, legacy):
        ct = _compute_dtype(z, kappa)
        zc, kc, lc = z.to(ct), kappa.to(ct), lam.to(ct)
        with torch.no_grad():
            log_lam, inv_lam = torch.log(lc), torch.reciprocal(lc)
            y = _run('fwd', gate_only, legacy, zc, kc, log_lam, inv_lam)
        ctx.save_for_backward(z, kappa, lam)
        ctx.flags = (gate_only, legacy)
        return y.to(z.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        z, kappa, lam = ctx.saved_tensors
        gate_only, legacy = ctx.flags
        ct = _compute_dtype(z, kappa)
        lc = lam.to(ct)
        log_lam, inv_lam = torch.log(lc), torch.reciprocal(lc)
        gz, gk, gl = _run('bwd', gate_only, legacy, grad.to(ct), z.to(ct),
                          kappa.to(ct), log_lam, inv_lam)
        return (gz.to(z.dtype), gk.to(kappa.dtype).reshape(kappa.shape),
                gl.to(lam.dtype).reshape(lam.shape), None, None)


def _compute_dtype(z: torch.Tensor, param: torch.Tensor) -> torch.dtype:
    """float32, or float64 when the input or the parameters are float64:
    half/bfloat16 inputs (AMP) are computed in float32."""
    return torch.promote_types(
        torch.promote_types(z.dtype, param.dtype), torch.float32)


def _reference(z, kappa, lam, gate_only):
    ct = _compute_dtype(z, kappa)
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
        out = _FusedAPAFunction.apply(zz, kk, ll, gate_only,
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
