# Copyright (c) mmlt contributors. All rights reserved.
"""The fused APA / AGLU implementation: one autograd function with the
analytic gradients, its elementwise bodies compiled lazily on CPU.

:func:`mmlt.models.layers.apa_functional.apa` and ``aglu`` use it by
default (``impl='fused'``); the plain-autograd reference formula there is
the specification it is tested against.

With ``x = kappa * z - ln(lambda)``, ``sp = ln(1 + e^-x)``, ``s =
sigmoid(-x)``, the gate ``eta = exp(-sp / lambda)`` and ``t = eta * s /
lambda``:

    d eta / dz      = kappa * t
    d eta / dkappa  = z * t
    d eta / dlambda = eta * (sp - s) / lambda^2
    d AGLU / dz     = eta + kappa * z * t, and z times the others.

``legacy`` (AGLU only) returns the official custom backward's
``d AGLU / dlambda = -(z / lambda) * t`` (``UniRect_static`` in
``kostas1515/AGLU``), which drops the ``sp / lambda^2`` term.

The forward saves only its inputs. On CPU the forward and backward bodies
(elementwise code plus the two sums of the parameter gradients) are compiled
lazily, at first use, with :func:`torch.compile` (one vectorised, parallel
C++ loop each); when compilation is unavailable or fails, the same bodies
run eagerly (a warning is issued once). ``MMLT_APA_COMPILE=0`` or
:func:`set_apa_compile` switches compilation off.

In compiled float32 CPU kernels ``exp`` and ``log1p`` are polynomials that
inductor inlines (relative error below 3e-7): ``benchmarks/apa_activation.py``
measures them against the library functions (contender
``aglu_fused_libm``, see ``configs/apa/README.md``);
:func:`set_apa_fast_math` switches them off.
"""
import os
import warnings
from typing import Callable, Dict

import torch

__all__ = [
    'FusedAPAFunction', 'set_apa_compile', 'apa_compile_enabled',
    'set_apa_fast_math'
]

_COMPILE = {'enabled': os.environ.get('MMLT_APA_COMPILE', '1') != '0'}
_FAST_MATH = {'enabled': True}
_COMPILED: Dict[tuple, Callable] = {}
_FAILED: Dict[tuple, str] = {}


def set_apa_compile(enabled: bool) -> None:
    """Switch the lazily compiled CPU kernels of the fused path on or off
    (off: the same analytic kernels run eagerly)."""
    _COMPILE['enabled'] = bool(enabled)


def apa_compile_enabled() -> bool:
    return _COMPILE['enabled']


def set_apa_fast_math(enabled: bool) -> None:
    """Use the polynomial ``exp`` / ``log1p`` in compiled float32 CPU
    kernels (default) or the library functions (``benchmarks/
    apa_activation.py`` compares the two; the compiled kernels are
    specialised on this switch)."""
    _FAST_MATH['enabled'] = bool(enabled)


def _fast_math(x: torch.Tensor) -> bool:
    """Whether to use the polynomial ``exp`` / ``log1p`` below: only while
    compiling a float32 CPU kernel with fast math on."""
    return (_FAST_MATH['enabled'] and x.dtype == torch.float32
            and x.device.type == 'cpu' and torch.compiler.is_compiling())


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
    if not _fast_math(x):
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
    if not _fast_math(x):
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
                # call; FMA contraction of the polynomials
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


def compute_dtype(z: torch.Tensor, param: torch.Tensor) -> torch.dtype:
    """float32, or float64 when the input or the parameters are float64:
    half/bfloat16 inputs (AMP) are computed in float32."""
    return torch.promote_types(
        torch.promote_types(z.dtype, param.dtype), torch.float32)


class FusedAPAFunction(torch.autograd.Function):
    """APA (``gate_only=True``) / AGLU with the analytic backward; saves only
    the inputs. ``kappa`` and ``lam`` are scalars (layer-wise) or
    ``(1, C, 1)`` for an input viewed as ``(A, C, B)`` (channel-wise)."""

    @staticmethod
    def forward(ctx, z, kappa, lam, gate_only, legacy):
        ct = compute_dtype(z, kappa)
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
        ct = compute_dtype(z, kappa)
        lc = lam.to(ct)
        log_lam, inv_lam = torch.log(lc), torch.reciprocal(lc)
        gz, gk, gl = _run('bwd', gate_only, legacy, grad.to(ct), z.to(ct),
                          kappa.to(ct), log_lam, inv_lam)
        return (gz.to(z.dtype), gk.to(kappa.dtype).reshape(kappa.shape),
                gl.to(lam.dtype).reshape(lam.shape), None, None)
