# Copyright (c) mmlt contributors. All rights reserved.
"""SP²OT: P²OT with a sample-relation reward, by Majorization-Minimization.

Zhang, Ren and He, *SP²OT: Semantic-Regularized Progressive Partial Optimal
Transport for Imbalanced Clustering*, arXiv 2404.03446.

Problem (``Q`` the ``N x K`` real part of the P²OT plan, ``S`` a sample
similarity)::

    min_Q  P²OT objective(Q) - lam1 <S, Q Q^T>

When ``S + S^T`` is positive semi-definite the reward is concave, so its
tangent at ``Q_t`` majorises it and each MM step is a plain P²OT with the
linear cost ``C - lam1 (S + S^T) Q_t``.
"""
import warnings
from typing import List, NamedTuple, Optional

import torch

from .partial_ot import _solve, check_partial_ot_args

# an inner solve with a larger row error is treated as failed
_MAX_INNER_ERROR = 1e-3

__all__ = [
    'SemanticPartialOTResult', 'semantic_partial_ot_pseudo_labels',
    'semantic_partial_ot_objective', 'lam1_schedule'
]


class SemanticPartialOTResult(NamedTuple):
    """Output of :func:`semantic_partial_ot_pseudo_labels`.

    Attributes:
        plan (torch.Tensor): ``N * Q``, ``(..., N, K)``.
        log_b (torch.Tensor): ``log b`` of the last inner solve (warm start),
            ``(..., K + 1)``.
        n_outer (int): MM iterations.
        n_inner (int): Scaling iterations summed over the MM iterations (the
            largest over heads, per MM iteration).
        objectives (list[torch.Tensor]): Objective (``(H,)`` or scalar) at
            ``Q_0, Q_1, ...``.
        row_error (torch.Tensor): Row-marginal error of the last inner solve.
        dummy (torch.Tensor): ``N *`` the dummy column, ``(..., N)``.
    """
    plan: torch.Tensor
    log_b: torch.Tensor
    n_outer: int
    n_inner: int
    objectives: List[torch.Tensor]
    row_error: torch.Tensor
    dummy: torch.Tensor


def _sym(similarity: torch.Tensor) -> torch.Tensor:
    """``S + S^T`` in float64, sparse stays sparse."""
    s = similarity.detach().to(torch.float64)
    if s.is_sparse:
        s = s.coalesce()
        return (s + s.t()).coalesce()
    return s + s.T


def _spmm(w: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """``W @ Q`` for every head of ``q`` (``(H, N, K)``) in one product."""
    h, n, k = q.shape
    flat = q.permute(1, 0, 2).reshape(n, h * k)
    out = torch.sparse.mm(w, flat) if w.is_sparse else w @ flat
    return out.reshape(n, h, k).permute(1, 0, 2)


def semantic_partial_ot_objective(q: torch.Tensor,
                                  dummy: torch.Tensor,
                                  cost: torch.Tensor,
                                  similarity: Optional[torch.Tensor],
                                  rho: float,
                                  lam1: float,
                                  epsilon: float = 0.1,
                                  lam: float = 1.0) -> torch.Tensor:
    """Full SP²OT objective of an unscaled plan.

    ``<Q, C> + eps sum Q^(log Q^ - 1) + lam sum_j KL(c_j || rho/K)
    - lam1 <S, Q Q^T>``, with ``Q^ = [Q, dummy]`` (the dummy column enters the
    entropy only).

    Args:
        q (torch.Tensor): ``(H, N, K)`` real part (rows + dummy sum to 1/N).
        dummy (torch.Tensor): ``(H, N)`` dummy column.
        cost (torch.Tensor): ``(H, N, K)`` cost ``-log softmax(logits)``.
        similarity (torch.Tensor, optional): ``(N, N)``, dense or sparse.
        rho, lam1, epsilon, lam: As in the problem.

    Returns:
        torch.Tensor: ``(H,)`` objective values.
    """
    q = q.double()
    dummy = dummy.double()
    k = q.shape[-1]
    c = q.sum(-2)
    beta = rho / k
    obj = (q * cost).sum((-2, -1))
    obj = obj + epsilon * (
        torch.special.xlogy(q, q).sum((-2, -1)) - q.sum((-2, -1)) +
        torch.special.xlogy(dummy, dummy).sum(-1) - dummy.sum(-1))
    obj = obj + lam * (torch.special.xlogy(c, c / beta) - c + beta).sum(-1)
    if similarity is not None and lam1 != 0:
        s = similarity.detach().to(torch.float64)
        sq = _spmm(s.coalesce() if s.is_sparse else s, q)
        obj = obj - lam1 * (q * sq).sum((-2, -1))
    return obj


def semantic_partial_ot_pseudo_labels(
        logits: torch.Tensor,
        similarity: Optional[torch.Tensor],
        rho: float,
        lam1: float,
        epsilon: float = 0.1,
        lam: float = 1.0,
        eta: float = 1.0,
        max_outer: int = 100,
        outer_tol: float = 1e-6,
        inner_tol: float = 1e-10,
        inner_max_iter: int = 1000,
        init_log_b: Optional[torch.Tensor] = None,
        anderson: int = 8,
        method: str = 'auto',
        out_dtype: torch.dtype = torch.float32) -> SemanticPartialOTResult:
    """SP²OT pseudo-labels by Majorization-Minimization.

    ``Q_0 = rho / (N K)``; then ``C_t = C - lam1 (S + S^T) Q_t``, ``Q_{t+1} =
    (1 - eta) Q_t + eta P²OT(C_t)``, until the objective changes by less than
    ``outer_tol`` or ``max_outer`` steps. The stop rule uses the full
    objective (:func:`semantic_partial_ot_objective`, KL and dummy entropy
    included), which MM provably does not increase for a PSD ``S + S^T``;
    the official code's ``f`` leaves these terms out. Inner solves are
    warm-started from the previous one. With ``lam1 = 0`` or an all-zero
    ``S`` this is one P²OT solve.

    Args:
        logits (torch.Tensor): ``(N, K)`` or ``(H, N, K)`` logits.
        similarity (torch.Tensor, optional): ``(N, N)`` similarity, sparse
            (e.g. :meth:`KNNGraph.subgraph`) or dense; ``None`` means 0.
        rho (float): Transported fraction, in ``(0, 1]``.
        lam1 (float): Weight of the relation reward (>= 0); SP²OT uses
            ``(1 - rho) * 1000``.
        epsilon, lam: As in :func:`solve_partial_ot`.
        eta (float): Step of the MM update, in ``(0, 1]``. Defaults to 1.
        max_outer (int): MM iteration cap. Defaults to 100.
        outer_tol (float): Stop when the objective changes less. Defaults to
            1e-6.
        inner_tol (float): Row-marginal tolerance of the inner P²OT solves.
            Defaults to 1e-10.
        inner_max_iter (int): Inner iteration cap. Defaults to 1000.
        init_log_b (torch.Tensor, optional): Warm start of the first inner
            solve.
        anderson (int): Anderson memory of the inner solver.
        method (str): Inner solver method.
        out_dtype (torch.dtype): dtype of ``plan``. Defaults to float32.

    Returns:
        SemanticPartialOTResult
    """
    check_partial_ot_args(logits, rho, epsilon, lam, name='logits')
    if not lam1 >= 0:
        raise ValueError(f'lam1 must be >= 0, got {lam1!r}.')
    if not 0 < eta <= 1:
        raise ValueError(f'eta must be in (0, 1], got {eta!r}.')
    if not isinstance(max_outer, int) or max_outer < 1:
        raise ValueError(f'max_outer must be an int >= 1, got {max_outer!r}.')
    batched = logits.dim() == 3
    z = logits.detach().to(torch.float64, copy=True)
    if not batched:
        z = z.unsqueeze(0)
    h, n, k = z.shape
    lse = torch.logsumexp(z, -1, keepdim=True)
    cost = z.neg_().add_(lse)  # -log softmax
    w = None
    if similarity is not None and lam1 > 0:
        if similarity.shape != (n, n):
            raise ValueError(f'similarity must be ({n}, {n}) to match the '
                             f'logits, got {tuple(similarity.shape)}.')
        w = _sym(similarity)
        nnz = w._nnz() if w.is_sparse else int((w != 0).sum())
        if nnz == 0:
            w = None
    solve_kw = dict(
        rho=rho,
        epsilon=epsilon,
        lam=lam,
        tol=inner_tol,
        max_iter=inner_max_iter,
        init_b=None,
        relax_columns=True,
        method=method,
        anderson=anderson,
        out_dtype=torch.float64)

    def finish(q, dummy, log_b, n_outer, n_inner, objectives, row_error):
        plan = (q * n).to(out_dtype)
        dummy = (dummy * n).to(out_dtype)
        if not batched:
            plan, log_b, row_error, dummy = (plan[0], log_b[0], row_error[0],
                                             dummy[0])
            objectives = [o[0] for o in objectives]
        return SemanticPartialOTResult(plan, log_b, n_outer, n_inner,
                                       objectives, row_error, dummy)

    if w is None:  # no relation term: one P²OT solve
        res = _solve(cost, init_log_b=init_log_b, **solve_kw)
        q, dummy = res.plan / n, res.dummy / n
        obj = semantic_partial_ot_objective(q, dummy, cost, None, rho, 0.,
                                            epsilon, lam)
        return finish(q, dummy, res.log_b, 1, int(res.n_iter.max()), [obj],
                      res.row_error)

    q = cost.new_full((h, n, k), rho / (n * k))
    dummy = cost.new_full((h, n), (1 - rho) / n)
    similarity = similarity.detach().to(torch.float64)
    if similarity.is_sparse:
        similarity = similarity.coalesce()
    objectives = [
        semantic_partial_ot_objective(q, dummy, cost, similarity, rho, lam1,
                                      epsilon, lam)
    ]
    log_b, n_inner = init_log_b, 0
    row_error = cost.new_zeros(h)  # Q_0 meets the marginals exactly
    n_outer = 0
    for n_outer in range(1, max_outer + 1):
        cost_t = cost - lam1 * _spmm(w, q)
        try:
            res = _solve(cost_t, init_log_b=log_b, **solve_kw)
        except FloatingPointError:
            res = None
        if res is None or not bool(torch.isfinite(res.plan).all()) or \
                float(res.row_error.max()) > _MAX_INNER_ERROR:
            warnings.warn(
                f'SP²OT: the inner P²OT solve of MM step {n_outer} failed '
                f'(lam1={lam1:g}, rho={rho:g}, N={n}); keeping the plan of '
                'the previous step.')
            n_outer -= 1
            break
        log_b, row_error = res.log_b, res.row_error
        n_inner += int(res.n_iter.max())
        q = (1 - eta) * q + eta * res.plan / n
        dummy = (1 - eta) * dummy + eta * res.dummy / n
        objectives.append(
            semantic_partial_ot_objective(q, dummy, cost, similarity, rho,
                                          lam1, epsilon, lam))
        if bool(((objectives[-1] - objectives[-2]).abs() < outer_tol).all()):
            break
    return finish(q, dummy, log_b, n_outer, n_inner, objectives, row_error)


def lam1_schedule(rho: float, lam_init: float = 1000.) -> float:
    """SP²OT's relation weight ``(1 - rho) * lam_init``: strong while few
    samples are transported, 0 at ``rho = 1``."""
    return (1 - rho) * lam_init
