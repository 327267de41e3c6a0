# Copyright (c) mmlt contributors. All rights reserved.
"""Progressive partial optimal transport (P²OT) by matrix scaling.

Zhang, Ren and He, *P²OT: Progressive Partial Optimal Transport for Deep
Imbalanced Clustering*, ICLR 2024 (arXiv 2401.09266), Algorithm 1.

Problem, for a cost ``C`` (``N x K``), a transported fraction ``rho`` and the
virtual (dummy) cluster of zero cost that absorbs the remaining ``1 - rho``::

    min_{Q >= 0, Q 1 = 1/N}  <Q, [C, 0]> + eps sum Q (log Q - 1)
                             + lam sum_{j <= K} KL(c_j || rho / K)
    s.t. c_{K+1} = 1 - rho,   c = Q^T 1.

The real clusters' sizes are only pulled towards uniform (KL), which is what
lets pseudo-labels be imbalanced; the dummy column is exact.
"""
import math
from typing import NamedTuple, Optional, Tuple

import numpy as np
import torch

from .anderson import AndersonAcceleration

__all__ = [
    'PartialOTResult', 'solve_partial_ot', 'partial_ot_pseudo_labels',
    'partial_ot_objective', 'check_partial_ot_args'
]

# Scalings are re-absorbed into the kernel when |log b| exceeds this.
_ABSORB = 50.0
# Anderson mixing starts once max_j |b_new / b - 1| is below this (the
# iteration is then in its linear regime; far from the fixed point, e.g. from
# a poor warm start, extrapolation can diverge).
_ANDERSON_START = 1.0


class PartialOTResult(NamedTuple):
    """Output of :func:`solve_partial_ot`.

    Attributes:
        plan (torch.Tensor): ``N * Q[:, :K]``, ``(..., N, K)``. Row ``i`` sums
            to the weight ``w_i`` in ``[0, 1]`` of sample ``i``; the whole plan
            sums to ``rho * N``.
        log_b (torch.Tensor): ``log`` of the column scaling ``b`` of
            Algorithm 1 (``K + 1`` entries, the last one the dummy column's,
            ``-inf`` when ``rho = 1``), float64, ``(..., K + 1)``. Pass it
            back as ``init_log_b`` to warm-start the next solve.
        n_iter (torch.Tensor): Scaling iterations per problem, ``(...)``.
        row_error (torch.Tensor): ``max_i |N * sum_j Q_ij - 1|`` of the
            returned plan (dummy column included), float64, ``(...)``.
        dummy (torch.Tensor): ``N * Q[:, K]``, the mass each sample sends to
            the dummy cluster, ``(..., N)``.
    """
    plan: torch.Tensor
    log_b: torch.Tensor
    n_iter: torch.Tensor
    row_error: torch.Tensor
    dummy: torch.Tensor

    @property
    def b(self) -> torch.Tensor:
        """The column scaling ``b`` (``exp(log_b)``)."""
        return self.log_b.exp()


def _all_finite(x: torch.Tensor) -> bool:
    """Whether every entry is finite (one reduction in the common case)."""
    if bool(torch.isfinite(x.sum())):
        return True
    return bool(torch.isfinite(x).all())  # the sum may overflow


def check_partial_ot_args(cost: torch.Tensor,
                          rho: float,
                          epsilon: float,
                          lam: float,
                          name: str = 'cost') -> None:
    """Raise a ``ValueError`` naming the first bad argument."""
    if not isinstance(cost, torch.Tensor) or cost.dim() not in (2, 3):
        raise ValueError(f'{name} must be a (N, K) or (H, N, K) tensor, got '
                         f'{getattr(cost, "shape", type(cost))}.')
    if cost.shape[-1] < 2:
        raise ValueError(f'K (the number of clusters, {name}.shape[-1]) must '
                         f'be >= 2, got {cost.shape[-1]}.')
    if cost.shape[-2] < 1:
        raise ValueError(f'{name} has no rows (N = 0).')
    if not _all_finite(cost):
        raise ValueError(f'{name} contains NaN or Inf values.')
    if not isinstance(rho, (int, float)) or isinstance(rho, bool) or \
            not 0 < rho <= 1:
        raise ValueError(f'rho (the transported mass fraction) must be in '
                         f'(0, 1], got {rho!r}.')
    if not isinstance(epsilon, (int, float)) or not epsilon > 0 or \
            not math.isfinite(epsilon):
        raise ValueError(
            f'epsilon (entropic regularisation) must be > 0, got {epsilon!r}.')
    if not isinstance(lam, (int, float)) or not lam > 0:
        raise ValueError(f'lam (weight of the KL on the cluster sizes) must '
                         f'be > 0, got {lam!r}.')


def _marginals(k: int, rho: float, epsilon: float, lam: float,
               relax_columns: bool, like: torch.Tensor):
    """log beta and the exponents f of the b-update (dummy last if rho<1)."""
    has_dummy = rho < 1
    k1 = k + 1 if has_dummy else k
    log_beta = like.new_full((k1, ), math.log(rho / k))
    power = like.new_full((k1, ),
                          lam / (lam + epsilon) if relax_columns else 1.0)
    if has_dummy:
        log_beta[k] = math.log1p(-rho)
        power[k] = 1.0
    return log_beta, power


def _initial_log_b(init_log_b: Optional[torch.Tensor], h: int, k: int, k1: int,
                   like: torch.Tensor) -> torch.Tensor:
    default = -math.log(k + 1)
    if init_log_b is None:
        return like.new_full((h, k1), default)
    x0 = init_log_b.detach().to(like).reshape(-1, init_log_b.shape[-1])
    if x0.shape[-1] != k + 1 or x0.shape[0] not in (1, h):
        raise ValueError(f'init_log_b must have shape ({h}, {k + 1}) or '
                         f'({k + 1},), got {tuple(init_log_b.shape)}.')
    # -inf (dummy after a rho = 1 solve) or NaN: back to the cold start.
    x0 = torch.where(torch.isfinite(x0), x0, x0.new_tensor(default))
    return x0.expand(h, k + 1)[:, :k1].clone()


def solve_partial_ot(
        cost: torch.Tensor,
        rho: float,
        epsilon: float = 0.1,
        lam: float = 1.0,
        tol: float = 1e-6,
        max_iter: int = 1000,
        init_log_b: Optional[torch.Tensor] = None,
        init_b: Optional[torch.Tensor] = None,
        relax_columns: bool = True,
        method: str = 'auto',
        anderson: int = 8,
        out_dtype: torch.dtype = torch.float32) -> PartialOTResult:
    """Solve P²OT for a cost matrix (or a batch of them, one per head).

    Algorithm 1 of the paper (``a <- alpha / (M b)``, ``b <- (beta / M^T
    a)^f`` with ``f = lam / (lam + eps)`` on the real columns and 1 on the
    dummy) in float64, with three changes that do not alter the fixed point:

    * **Anderson acceleration** of the iteration on ``log b`` (``anderson``
      stored differences; 0 gives the plain iteration). The P²OT iteration
      converges linearly and slowly at small ``rho`` (1,000+ iterations);
      Anderson mixing needs tens. The returned pair ``(a, b)`` always comes
      from a plain update, so the dummy column is exact and the KL condition
      ``eps log b_j + lam log(c_j / beta_j) = 0`` holds at the output.
    * **Stop rule on the marginal**: stop when ``max_j |b_new / b - 1| <=
      tol``; this bounds the row error ``max_i |N sum_j Q_ij - 1|`` of the
      returned plan by ``tol``. (The official code stops on ``|b_new - b|_2
      <= 1e-6``, which depends on the scale of ``b``.)
    * **Stabilised kernel**: the warm start and a per-row normaliser are
      absorbed into the kernel ``exp((u + v - C) / eps)`` so nothing
      overflows for negative costs (SP²OT's majorised costs); scalings are
      re-absorbed when they grow. ``method='log'`` runs the same iteration
      with log-sum-exp (slower, immune to underflow); ``'auto'`` switches to
      it when the kernel under- or overflows.

    Args:
        cost (torch.Tensor): ``(N, K)`` or ``(H, N, K)`` finite costs
            (``-log softmax(logits)`` for P²OT; any sign allowed).
        rho (float): Transported fraction of the mass, in ``(0, 1]``.
        epsilon (float): Entropic regularisation. Defaults to 0.1.
        lam (float): Weight of the KL on the real cluster sizes. Defaults to
            1.0.
        tol (float): Row-marginal tolerance. Defaults to 1e-6.
        max_iter (int): Iteration cap. Defaults to 1000.
        init_log_b (torch.Tensor, optional): Warm start, ``log b`` of a
            previous solve (``(K + 1,)`` or ``(H, K + 1)``); non-finite
            entries fall back to the cold start ``1 / (K + 1)``.
        init_b (torch.Tensor, optional): Warm start as ``b`` instead.
        relax_columns (bool): ``True`` for P²OT; ``False`` makes every
            column exact (``rho / K``), the "POT" ablation. Defaults to True.
        method (str): ``'auto'``, ``'scaling'`` or ``'log'``.
        anderson (int): Anderson memory; 0 disables it. Defaults to 8.
        out_dtype (torch.dtype): dtype of ``plan`` and ``dummy``. Defaults to
            float32.

    Returns:
        PartialOTResult: plan, log_b, n_iter, row_error, dummy.
    """
    check_partial_ot_args(cost, rho, epsilon, lam)
    return _solve(cost, rho, epsilon, lam, tol, max_iter, init_log_b, init_b,
                  relax_columns, method, anderson, out_dtype)


def _solve(cost, rho, epsilon, lam, tol, max_iter, init_log_b, init_b,
           relax_columns, method, anderson, out_dtype) -> PartialOTResult:
    """:func:`solve_partial_ot` after the checks of the cost and rho."""
    if not tol > 0:
        raise ValueError(f'tol must be > 0, got {tol!r}.')
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f'max_iter must be an int >= 1, got {max_iter!r}.')
    if method not in ('auto', 'scaling', 'log'):
        raise ValueError(
            f"method must be 'auto', 'scaling' or 'log', got {method!r}.")
    if anderson < 0:
        raise ValueError(f'anderson must be >= 0, got {anderson}.')
    if init_b is not None:
        if init_log_b is not None:
            raise ValueError('Give init_b or init_log_b, not both.')
        init_log_b = init_b.detach().double().log()
    batched = cost.dim() == 3
    c = cost.detach().to(torch.float64)
    if not batched:
        c = c.unsqueeze(0)
    h, n, k = c.shape
    log_beta, power = _marginals(k, rho, epsilon, lam, relax_columns, c)
    k1 = log_beta.numel()
    x0 = _initial_log_b(init_log_b, h, k, k1, c)

    result = None
    if method in ('auto', 'scaling'):
        result = _iterate(
            c,
            epsilon,
            x0,
            log_beta,
            power,
            tol,
            max_iter,
            anderson,
            log_domain=False)
        if result is None and method == 'scaling':
            raise FloatingPointError(
                'P²OT scaling under/overflowed; use method="log" or "auto".')
    if result is None:
        result = _iterate(
            c,
            epsilon,
            x0,
            log_beta,
            power,
            tol,
            max_iter,
            anderson,
            log_domain=True)
    q, log_b, n_iter = result  # q: unscaled (H, N, K1) plan
    row_error = (q.sum(-1) * n - 1).abs().amax(-1)
    q.mul_(n)
    plan = q[..., :k].to(out_dtype)
    if k1 > k:
        dummy = q[..., k].to(out_dtype)
    else:
        dummy = plan.new_zeros(h, n)
        log_b = torch.cat([log_b, log_b.new_full((h, 1), -math.inf)], 1)
    if not batched:
        plan, log_b, n_iter, row_error, dummy = (plan[0], log_b[0], n_iter[0],
                                                 row_error[0], dummy[0])
    return PartialOTResult(plan, log_b, n_iter, row_error, dummy)


def _log_kernel(cost: torch.Tensor,
                epsilon: float,
                x0: torch.Tensor,
                out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``-[C, 0] / eps + x0`` (the dummy column only if ``x0`` has K + 1
    entries), minus its row maximum so that the largest entry is 0."""
    h, n, k = cost.shape
    k1 = x0.shape[-1]
    if out is None:
        out = cost.new_empty(h, n, k1)
    torch.div(cost, -epsilon, out=out[..., :k])
    out[..., :k] += x0[:, None, :k]
    if k1 > k:
        out[..., k] = x0[:, k:]
    out -= out.amax(2, keepdim=True)
    return out


def _iterate(
    cost: torch.Tensor, epsilon: float, x0: torch.Tensor,
    log_beta: torch.Tensor, power: torch.Tensor, tol: float, max_iter: int,
    memory: int, log_domain: bool
) -> Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Run the (accelerated) scaling iteration on ``y = log b - x0``.

    The kernel ``exp(-C / eps + x0 - max)`` absorbs the warm start ``x0`` and
    a row normaliser (which only rescales ``a``); the powered b-update then
    reads ``y <- f (log beta - log K^T a) + (f - 1) x0``. The two products
    with the ``N x (K+1)`` kernel run on its device; the ``K + 1``-vector
    bookkeeping (stop rule, Anderson mixing) runs in NumPy on the host.

    Returns ``(Q, log b, n_iter)`` with ``Q`` the unscaled ``(H, N, K1)``
    plan, or ``None`` when the scaling path met a non-finite value.
    """
    h, n, k1 = cost.shape[0], cost.shape[1], x0.shape[1]
    device = cost.device
    inv_n = 1.0 / n
    log_alpha = -math.log(n)
    kernel = _log_kernel(cost, epsilon, x0)  # log of the absorbed kernel
    if not log_domain:
        kernel.exp_()
        if not bool((kernel.amax(1) > 0).all()):
            return None  # a whole column underflows
    power_np = power.cpu().numpy()
    x0_np = x0.cpu().numpy().copy()
    # y_new = f (log beta - log t) + (f - 1) x0 = const - f log t
    const = power_np * log_beta.cpu().numpy() + (power_np - 1) * x0_np

    def evaluate(y_np):
        """One plain update from ``y``: ``(a or log a, log t)``."""
        y = torch.from_numpy(y_np).to(device)
        if log_domain:
            log_s = torch.logsumexp(kernel + y.unsqueeze(1), 2)
            log_a = log_alpha - log_s
            log_t = torch.logsumexp(kernel + log_a.unsqueeze(2), 1)
            return log_a, log_t.cpu().numpy()
        s = torch.bmm(kernel, y.exp().unsqueeze(2)).squeeze(2)
        a = s.reciprocal_().mul_(inv_n)
        t = torch.bmm(a.unsqueeze(1), kernel).squeeze(1)
        return a, np.log(t.cpu().numpy())

    accel = AndersonAcceleration(h, k1, memory) if memory else None
    y = np.zeros((h, k1))
    n_iter = np.zeros(h, dtype=np.int64)
    active = np.ones(h, dtype=bool)
    out_a = [None] * h
    out_y = np.zeros((h, k1))
    best = np.full(h, np.inf)
    best_step = y.copy()  # plain update from the best point so far
    since_best = 0
    last_good = y
    a = y_new = None
    with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
        for _ in range(max_iter):
            a, log_t = evaluate(y)
            y_new = const - power_np * log_t
            r = y_new - y
            err = np.abs(r).max(1)
            if not np.isfinite(err).all():
                if accel is None or accel.count == 0:
                    if log_domain:
                        _raise_non_finite()
                    return None
                # an extrapolated point failed: plain step from the last good
                accel.reset()
                y = np.where(active[:, None], last_good, y)
                continue
            err = np.expm1(err)  # max_j |b_new / b - 1| bounds the row error
            n_iter += active
            done = active & (err <= tol)
            for i in np.flatnonzero(done):
                out_a[i] = a[i]
                out_y[i] = y_new[i]
            active &= ~done
            if not active.any():
                break
            last_good = y
            improved = err < best
            best = np.where(improved, err, best)
            best_step[improved] = y_new[improved]
            since_best = 0 if improved[active].any() else since_best + 1
            if accel is None:
                y_next = y_new
            elif (err[active] >= _ANDERSON_START).any():
                accel.reset()  # far from the fixed point: plain steps
                y_next = y_new
            elif (err > 1e3 * best).any() or since_best > 4 * memory:
                # the mixing diverged or stalls: restart from the best point
                accel.reset()
                since_best = 0
                y_next = np.where((err > 1e3 * best)[:, None], best_step,
                                  y_new)
            else:
                y_next = accel.step(y, r)
            y = np.where(active[:, None], y_next, y)
            big = active & (np.abs(y).max(1) > _ABSORB)
            if not log_domain and big.any():
                # re-absorb large scalings into the kernel (rare)
                shift = np.where(big[:, None], y, 0.0)
                x0_np += shift
                const += (power_np - 1) * shift
                idx = torch.from_numpy(np.flatnonzero(big)).to(device)
                new_x0 = torch.from_numpy(x0_np).to(x0)[idx]
                kernel[idx] = _log_kernel(cost[idx], epsilon, new_x0).exp_()
                if accel is not None:
                    accel.shift_origin(shift)
                last_good = last_good - shift
                y = y - shift
    for i in np.flatnonzero(active):  # iteration cap: the last plain update
        out_a[i] = a[i]
        out_y[i] = y_new[i]
    out_a = torch.stack(out_a)
    log_b = torch.from_numpy(x0_np + out_y).to(x0)
    y_out = torch.from_numpy(out_y).to(x0)
    if log_domain:
        q = kernel.add_(out_a.unsqueeze(2)).add_(y_out.unsqueeze(1)).exp_()
    else:
        q = kernel.mul_(out_a.unsqueeze(2)).mul_(y_out.exp_().unsqueeze(1))
    return q, log_b, torch.from_numpy(n_iter).to(device)


def _raise_non_finite():
    raise FloatingPointError(
        'P²OT log-domain iteration produced a non-finite value; check the '
        'cost matrix.')


def partial_ot_pseudo_labels(logits: torch.Tensor, rho: float,
                             **kwargs) -> PartialOTResult:
    """P²OT pseudo-labels from logits: the cost is ``-log softmax(logits)``.

    Args:
        logits (torch.Tensor): ``(N, K)`` or ``(H, N, K)`` logits.
        rho (float): Transported fraction, in ``(0, 1]``.
        **kwargs: See :func:`solve_partial_ot`.

    Returns:
        PartialOTResult: ``plan`` are the soft pseudo-labels (``(N, K)``,
        rows sum to the sample weights).
    """
    check_partial_ot_args(
        logits,
        rho,
        kwargs.get('epsilon', 0.1),
        kwargs.get('lam', 1.0),
        name='logits')
    z = logits.detach().to(torch.float64, copy=True)
    lse = torch.logsumexp(z, dim=-1, keepdim=True)
    cost = z.neg_().add_(lse)  # -log softmax, in place
    opts = dict(
        epsilon=0.1,
        lam=1.0,
        tol=1e-6,
        max_iter=1000,
        init_log_b=None,
        init_b=None,
        relax_columns=True,
        method='auto',
        anderson=8,
        out_dtype=torch.float32)
    unknown = set(kwargs) - set(opts)
    if unknown:
        raise TypeError(f'Unknown arguments: {sorted(unknown)}.')
    opts.update(kwargs)
    return _solve(cost, rho, **opts)


def partial_ot_objective(q_aug: torch.Tensor,
                         cost: torch.Tensor,
                         rho: float,
                         epsilon: float = 0.1,
                         lam: float = 1.0,
                         relax_columns: bool = True) -> torch.Tensor:
    """P²OT objective of an unscaled plan with its dummy column.

    ``<Q, [C, 0]> + eps sum Q (log Q - 1) + lam sum_{j<=K} KL(c_j||rho/K)``
    (generalised KL, ``c = Q^T 1``). The dummy and, with ``relax_columns=
    False``, every column are constraints, not penalties, so they do not
    appear.

    Args:
        q_aug (torch.Tensor): ``(N, K + 1)`` plan (rows sum to ``1/N``).
        cost (torch.Tensor): ``(N, K)`` cost.
        rho (float): Transported fraction.
        epsilon (float): Entropic regularisation.
        lam (float): KL weight.
        relax_columns (bool): Whether the real columns are KL-relaxed.
    """
    q = q_aug.double()
    k = cost.shape[-1]
    lin = (q[..., :k] * cost.double()).sum((-2, -1))
    ent = torch.special.xlogy(q, q).sum((-2, -1)) - q.sum((-2, -1))
    obj = lin + epsilon * ent
    if relax_columns:
        c = q[..., :k].sum(-2)
        beta = rho / k
        kl = torch.special.xlogy(c, c / beta) - c + beta
        obj = obj + lam * kl.sum(-1)
    return obj
