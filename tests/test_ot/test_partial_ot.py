# Copyright (c) mmlt contributors. All rights reserved.
"""P²OT solver: the invariants of the solver spec (I1-I11), checked against
independent plain Sinkhorn loops written here in NumPy and, when installed,
against POT."""
import math

import numpy as np
import pytest
import torch

from mmlt.ot import (partial_ot_objective, partial_ot_pseudo_labels,
                     solve_partial_ot)

EPS, LAM = 0.1, 1.0


def cosine_logits(n, k, seed=0, imbalanced=True):
    """10 * cos(feature, prototype), features drawn long-tailed."""
    g = torch.Generator().manual_seed(seed)
    protos = torch.nn.functional.normalize(torch.randn(k, 16, generator=g))
    p = torch.tensor([100**(-c / (k - 1)) for c in range(k)]) \
        if imbalanced else torch.ones(k)
    y = torch.multinomial(p / p.sum(), n, replacement=True, generator=g)
    x = protos[y] + 0.3 * torch.randn(n, 16, generator=g)
    head = protos + 0.2 * torch.randn(k, 16, generator=g)
    return 10 * torch.nn.functional.normalize(x) @ \
        torch.nn.functional.normalize(head).T


def neg_log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(1, keepdims=True)
    return np.log(np.exp(z - m).sum(1, keepdims=True)) + m - z


def reference_scaling(cost, a, b, power, iters=20000, tol=1e-14):
    """Independent plain scaling loop: u = a / (M v), v = (b / M^T u)^power.

    ``power = 1`` gives balanced Sinkhorn-Knopp; ``lam / (lam + eps)`` the
    KL-relaxed (unbalanced) column update."""
    m = np.exp(-cost / EPS)
    v = np.ones(cost.shape[1])
    for _ in range(iters):
        u = a / (m @ v)
        v_new = (b / (m.T @ u))**power
        if np.max(np.abs(v_new / v - 1)) < tol:
            v = v_new
            break
        v = v_new
    u = a / (m @ v)
    v = (b / (m.T @ u))**power
    return u[:, None] * m * v[None]


def solve64(logits, rho, **kwargs):
    kwargs.setdefault('tol', 1e-12)
    kwargs.setdefault('max_iter', 5000)
    return partial_ot_pseudo_labels(
        logits, rho, out_dtype=torch.float64, **kwargs)


LOGITS = cosine_logits(300, 8)


@pytest.mark.parametrize('rho', [0.1, 0.5, 1.0])
def test_shapes_rows_dummy_mass(rho):
    """I1-I4: shapes, finiteness, row weights, exact dummy, real mass."""
    res = partial_ot_pseudo_labels(LOGITS, rho)
    n, k = LOGITS.shape
    assert res.plan.shape == (n, k) and res.plan.dtype == torch.float32
    assert res.log_b.shape == (k + 1, ) and res.log_b.dtype == torch.float64
    assert torch.isfinite(res.plan).all() and (res.plan >= 0).all()
    w = res.plan.double().sum(1)
    assert float(w.max()) <= 1 + 1e-6
    assert float(res.dummy.double().sum()) == pytest.approx(
        n * (1 - rho), rel=1e-6, abs=1e-6)
    # independent row check (the plan is float32 here)
    rows = w + res.dummy.double()
    assert float((rows - 1).abs().max()) <= 1e-5
    assert float(res.row_error) <= 1e-6
    assert float(res.plan.double().sum()) / n == pytest.approx(rho, abs=1e-5)
    if rho == 1.0:
        assert res.log_b[-1] == -math.inf and (res.dummy == 0).all()


@pytest.mark.parametrize('max_iter', [1, 2, 7])
def test_dummy_exact_at_every_iterate(max_iter):
    """I2 holds even when the cap stops the solve early; I5 too."""
    res = solve64(LOGITS, 0.3, max_iter=max_iter)
    assert int(res.n_iter) == max_iter
    n = LOGITS.shape[0]
    assert float(res.dummy.sum()) == pytest.approx(n * 0.7, rel=1e-9)
    _assert_kkt(res, 0.3)


def _assert_kkt(res, rho):
    k = res.plan.shape[-1]
    c = res.plan.sum(0) / res.plan.shape[0]
    kkt = EPS * res.log_b[:k] + LAM * torch.log(c / (rho / k))
    assert float(kkt.abs().max()) <= 1e-10, kkt


@pytest.mark.parametrize('rho', [0.2, 0.7, 1.0])
def test_kkt_condition_of_the_relaxed_columns(rho):
    """I5: eps log b_j + lam log(c_j / beta_j) = 0 for every real column."""
    _assert_kkt(solve64(LOGITS, rho, tol=1e-6), rho)


def test_row_marginal_and_tolerance_bound():
    """I3: the reported row error is the plan's, and bounded by tol."""
    for tol in (1e-3, 1e-6, 1e-9):
        res = solve64(LOGITS, 0.4, tol=tol)
        rows = res.plan.sum(1) + res.dummy
        err = float((rows - 1).abs().max())
        assert err == pytest.approx(float(res.row_error), rel=1e-6, abs=1e-15)
        assert err <= tol


def test_local_optimality_under_feasible_perturbations():
    """I6: swaps (rows and columns kept) and within-row moves between real
    columns (rows kept, sizes change) never lower the objective."""
    rho = 0.5
    res = solve64(LOGITS, rho)
    n, k = LOGITS.shape
    q = torch.cat([res.plan, res.dummy[:, None]], 1) / n
    cost = torch.from_numpy(neg_log_softmax(LOGITS))
    f0 = partial_ot_objective(q, cost, rho, EPS, LAM)
    rng = np.random.RandomState(0)
    for _ in range(50):
        i, i2 = rng.choice(n, 2, replace=False)
        kk, ll = rng.choice(k, 2, replace=False)
        delta = 0.1 * float(min(q[i, kk], q[i2, ll]))
        swap = q.clone()
        swap[i, kk] -= delta
        swap[i, ll] += delta
        swap[i2, ll] -= delta
        swap[i2, kk] += delta
        assert float(partial_ot_objective(swap, cost, rho, EPS, LAM) -
                     f0) >= -1e-15
        move = q.clone()
        d = 0.1 * float(q[i, kk])
        move[i, kk] -= d
        move[i, ll] += d
        assert float(partial_ot_objective(move, cost, rho, EPS, LAM) -
                     f0) >= -1e-15


def test_rho_one_equals_independent_unbalanced_sinkhorn():
    """I7: rho = 1 is semi-relaxed UOT (rows exact, columns KL)."""
    res = solve64(LOGITS, 1.0)
    n, k = LOGITS.shape
    cost = neg_log_softmax(LOGITS)
    ref = reference_scaling(cost, np.full(n, 1 / n), np.full(k, 1 / k), LAM /
                            (LAM + EPS)) * n
    np.testing.assert_allclose(res.plan.numpy(), ref, rtol=1e-9, atol=1e-14)


def test_no_relaxation_equals_independent_balanced_sinkhorn():
    """I7: relax_columns=False is balanced OT on [C, 0] with [rho/K, 1-rho]."""
    rho = 0.4
    res = solve64(LOGITS, rho, relax_columns=False)
    n, k = LOGITS.shape
    cost = np.concatenate([neg_log_softmax(LOGITS), np.zeros((n, 1))], 1)
    beta = np.r_[np.full(k, rho / k), 1 - rho]
    ref = reference_scaling(cost, np.full(n, 1 / n), beta, 1.0) * n
    np.testing.assert_allclose(
        res.plan.numpy(), ref[:, :k], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(res.plan.sum(0).numpy(), n * rho / k, rtol=1e-9)


def test_large_lambda_approaches_no_relaxation():
    exact = solve64(LOGITS, 0.6, relax_columns=False).plan
    near = solve64(LOGITS, 0.6, lam=1e8).plan
    assert float((near - exact).abs().max() / exact.abs().max()) < 1e-6


def test_small_rho_sends_mass_to_the_dummy():
    res = solve64(LOGITS, 1e-6)
    assert float(res.dummy.mean()) == pytest.approx(1 - 1e-6, abs=1e-9)
    assert float(res.plan.sum(1).max()) < 1e-4


pot = None
try:
    import ot as pot  # noqa: F811
except ImportError:
    pass
needs_pot = pytest.mark.skipif(
    pot is None,
    reason='POT (pip package "pot") is not installed; the same properties '
    'are checked against the independent loops above')


@needs_pot
def test_rho_one_equals_pot_sinkhorn_unbalanced():
    n, k = LOGITS.shape
    cost = neg_log_softmax(LOGITS)
    ref = pot.unbalanced.sinkhorn_unbalanced(
        np.full(n, 1 / n),
        np.full(k, 1 / k),
        cost,
        reg=EPS,
        reg_m=(float('inf'), LAM),
        reg_type='entropy',
        numItermax=100000,
        stopThr=1e-15)
    res = solve64(LOGITS, 1.0)
    np.testing.assert_allclose(
        res.plan.numpy(), ref * n, rtol=1e-9, atol=1e-14)


@needs_pot
def test_no_relaxation_equals_pot_sinkhorn():
    rho = 0.4
    n, k = LOGITS.shape
    cost = np.concatenate([neg_log_softmax(LOGITS), np.zeros((n, 1))], 1)
    beta = np.r_[np.full(k, rho / k), 1 - rho]
    ref = pot.sinkhorn(
        np.full(n, 1 / n),
        beta,
        cost,
        reg=EPS,
        numItermax=100000,
        stopThr=1e-15)
    res = solve64(LOGITS, rho, relax_columns=False)
    np.testing.assert_allclose(
        res.plan.numpy(), ref[:, :k] * n, rtol=1e-9, atol=1e-14)


def test_symmetries():
    """I8: row shifts of the logits, column and row permutations."""
    z = LOGITS.double()  # shifting float32 logits would round them
    base = solve64(z, 0.5).plan
    shifted = z + torch.linspace(-5, 5, z.shape[0], dtype=z.dtype)[:, None]
    torch.testing.assert_close(
        solve64(shifted, 0.5).plan, base, rtol=1e-8, atol=1e-12)
    perm = torch.randperm(
        LOGITS.shape[1], generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(
        solve64(z[:, perm], 0.5).plan, base[:, perm], rtol=1e-8, atol=1e-12)
    rows = torch.randperm(
        LOGITS.shape[0], generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(
        solve64(z[rows], 0.5).plan, base[rows], rtol=1e-8, atol=1e-12)


def test_imbalance_is_possible_only_with_relaxed_columns():
    """I9: 60% of the samples favour cluster 0 by +8."""
    n, k, rho = 2000, 20, 0.8
    g = torch.Generator().manual_seed(0)
    z = torch.randn(n, k, generator=g)
    z[:int(0.6 * n), 0] += 8
    share = solve64(z, rho, tol=1e-9).plan.sum(0)[0] / (rho * n / k)
    # column 0 can take at most 0.6 N / (rho N / K) = 15x its uniform share;
    # the spec measured 5.96x on other random logits, here it is 9.93x
    assert 3.0 < float(share) < 15.0
    exact = solve64(z, rho, tol=1e-9, relax_columns=False).plan.sum(0)[0]
    assert float(exact) / (rho * n / k) == pytest.approx(1.0, abs=1e-8)


def test_warm_start_stops_after_one_iteration():
    """I10 (b passed as log b and as b)."""
    first = partial_ot_pseudo_labels(LOGITS, 0.3, tol=1e-8)
    assert int(first.n_iter) > 5
    again = partial_ot_pseudo_labels(
        LOGITS, 0.3, tol=1e-8, init_log_b=first.log_b)
    assert int(again.n_iter) == 1
    assert float((again.plan - first.plan).abs().max()) < 1e-6
    again_b = partial_ot_pseudo_labels(LOGITS, 0.3, tol=1e-8, init_b=first.b)
    assert int(again_b.n_iter) == 1
    # a rho = 1 solve has b_dummy = 0; warm-starting rho < 1 from it works
    one = partial_ot_pseudo_labels(LOGITS, 1.0)
    res = partial_ot_pseudo_labels(LOGITS, 0.9, init_log_b=one.log_b)
    assert float(res.row_error) <= 1e-6


def test_precision_float64_and_log_domain():
    """I11: the scaling result equals the log-domain one and an independent
    float64 loop at a level float32 arithmetic cannot reach."""
    scal = solve64(LOGITS, 0.5, method='scaling')
    log = solve64(LOGITS, 0.5, method='log')
    torch.testing.assert_close(scal.plan, log.plan, rtol=1e-8, atol=1e-13)
    n, k = LOGITS.shape
    cost = np.concatenate([neg_log_softmax(LOGITS), np.zeros((n, 1))], 1)
    beta = np.r_[np.full(k, 0.5 / k), 0.5]
    power = np.r_[np.full(k, LAM / (LAM + EPS)), 1.0]
    ref = reference_scaling(cost, np.full(n, 1 / n), beta, power) * n
    err = np.abs(scal.plan.numpy() - ref[:, :k]).max() / ref.max()
    assert err < 1e-10  # float32 would leave ~1e-7


def test_underflowing_kernel_falls_back_to_log_domain():
    """A column whose kernel exp(-C / eps) underflows everywhere in float64
    (logit gap 200 at eps = 0.1) breaks plain scaling; 'auto' switches to
    the log domain and matches method='log'."""
    z = torch.zeros(40, 3, dtype=torch.float64)
    z[:, 2] = -200.0  # exp(-200 / 0.1) = 0 in float64
    with pytest.raises(FloatingPointError, match='log'):
        partial_ot_pseudo_labels(z, 0.5, method='scaling')
    auto = partial_ot_pseudo_labels(z, 0.5, out_dtype=torch.float64)
    log = partial_ot_pseudo_labels(
        z, 0.5, method='log', out_dtype=torch.float64)
    torch.testing.assert_close(auto.plan, log.plan)
    assert torch.isfinite(auto.plan).all()
    assert float(auto.row_error) <= 1e-6
    _assert_kkt(log, 0.5)


def test_negative_costs_do_not_overflow():
    """Costs far below 0 (SP²OT's majorised costs) stay finite."""
    cost = -torch.from_numpy(neg_log_softmax(LOGITS)) * 3 - 50
    res = solve_partial_ot(cost, 0.5, out_dtype=torch.float64)
    assert torch.isfinite(res.plan).all()
    assert float(res.row_error) <= 1e-6
    log = solve_partial_ot(cost, 0.5, method='log', out_dtype=torch.float64)
    torch.testing.assert_close(res.plan, log.plan, rtol=1e-5, atol=1e-9)


def test_anderson_changes_speed_not_the_answer():
    plain = solve64(LOGITS, 0.5, anderson=0, tol=1e-10, max_iter=100000)
    fast = solve64(LOGITS, 0.5, tol=1e-10)
    torch.testing.assert_close(fast.plan, plain.plan, rtol=1e-7, atol=1e-11)
    assert int(fast.n_iter) < int(plain.n_iter) / 3


def test_batched_heads_equal_separate_solves():
    z = torch.stack([LOGITS, cosine_logits(300, 8, seed=3)])
    both = solve64(z, 0.4)
    assert both.plan.shape == (2, 300, 8) and both.n_iter.shape == (2, )
    for h in range(2):
        one = solve64(z[h], 0.4)
        torch.testing.assert_close(
            both.plan[h], one.plan, rtol=1e-9, atol=1e-12)
        assert int(both.n_iter[h]) == int(one.n_iter)


@pytest.mark.parametrize('kwargs, match', [
    (dict(rho=0.0), 'rho'),
    (dict(rho=1.5), 'rho'),
    (dict(rho=0.5, epsilon=0.0), 'epsilon'),
    (dict(rho=0.5, epsilon=-1.0), 'epsilon'),
    (dict(rho=0.5, lam=0.0), 'lam'),
    (dict(rho=0.5, tol=0.0), 'tol'),
    (dict(rho=0.5, method='dense'), 'method'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        partial_ot_pseudo_labels(LOGITS, **kwargs)


def test_bad_logits_are_named():
    bad = LOGITS.clone()
    bad[3, 2] = float('nan')
    with pytest.raises(ValueError, match='logits contains NaN'):
        partial_ot_pseudo_labels(bad, 0.5)
    bad[3, 2] = float('inf')
    with pytest.raises(ValueError, match='logits contains NaN or Inf'):
        partial_ot_pseudo_labels(bad, 0.5)
    with pytest.raises(ValueError, match=r'K \(the number of clusters'):
        partial_ot_pseudo_labels(LOGITS[:, :1], 0.5)
    with pytest.raises(ValueError, match='cost contains NaN'):
        solve_partial_ot(bad.double(), 0.5)
