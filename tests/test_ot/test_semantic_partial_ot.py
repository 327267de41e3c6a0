# Copyright (c) mmlt contributors. All rights reserved.
"""SP²OT Majorization-Minimization and the sparse kNN similarity graph."""
import warnings

import numpy as np
import pytest
import torch

from mmlt.ot import (KNNGraph, lam1_schedule, partial_ot_pseudo_labels,
                     semantic_partial_ot_pseudo_labels)


def clustered(n=240, k=6, dim=8, seed=0, noise=0.9):
    """Features around k centres (long-tailed), logits of a noisy cosine
    head, and the true labels."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, dim, generator=g) * 2
    p = torch.tensor([10**(-c / (k - 1)) for c in range(k)])
    y = torch.multinomial(p / p.sum(), n, replacement=True, generator=g)
    feats = centres[y] + noise * torch.randn(n, dim, generator=g)
    head = centres + 1.5 * torch.randn(k, dim, generator=g)
    logits = 10 * torch.nn.functional.normalize(feats) @ \
        torch.nn.functional.normalize(head).T
    return feats, logits, y


FEATS, LOGITS, LABELS = clustered()


def test_knn_graph_matches_dense_construction():
    graph = KNNGraph.from_features(FEATS, k=5, sigma=2.0, chunk_size=37)
    n, dim = FEATS.shape
    d2 = torch.cdist(FEATS.double(), FEATS.double())**2
    dense = torch.exp(-d2 / (2 * 2.0**2 * dim))
    dense.fill_diagonal_(0)  # rmDiag, then keep the top-5 of each row
    top = dense.topk(5, dim=1)
    ref = torch.zeros_like(dense).scatter_(1, top.indices, top.values)
    torch.testing.assert_close(
        graph.to_sparse().to_dense().double(), ref, rtol=1e-4, atol=1e-6)
    assert (graph.indices != torch.arange(n)[:, None]).all()


def test_subgraph_equals_dense_indexing_with_repeats():
    graph = KNNGraph.from_features(FEATS, k=5)
    dense = graph.to_sparse().to_dense()
    idx = torch.tensor([5, 17, 3, 17, 200, 0, 5, 99])
    torch.testing.assert_close(
        graph.subgraph(idx).to_dense(), dense[idx][:, idx])
    with pytest.raises(IndexError, match='subgraph indices'):
        graph.subgraph(torch.tensor([0, 240]))


def test_knn_graph_bad_arguments():
    with pytest.raises(ValueError, match='k must be'):
        KNNGraph.from_features(FEATS, k=240)
    with pytest.raises(ValueError, match='sigma'):
        KNNGraph.from_features(FEATS, k=3, sigma=0)


def solve_mm(similarity, rho, lam1, **kwargs):
    return semantic_partial_ot_pseudo_labels(
        LOGITS, similarity, rho, lam1, out_dtype=torch.float64, **kwargs)


@pytest.mark.parametrize('similarity, lam1', [
    ('knn', 0.0),
    (None, 100.0),
    ('zero-sparse', 100.0),
    ('zero-dense', 100.0),
])
def test_no_relation_term_reduces_to_p2ot(similarity, lam1):
    n = LOGITS.shape[0]
    s = {
        'knn':
        KNNGraph.from_features(FEATS, k=5).to_sparse(),
        None:
        None,
        'zero-sparse':
        torch.sparse_coo_tensor(
            torch.zeros(2, 0, dtype=torch.long),
            torch.zeros(0), (n, n),
            check_invariants=False),
        'zero-dense':
        torch.zeros(n, n),
    }[similarity]
    res = solve_mm(s, 0.4, lam1)
    ref = partial_ot_pseudo_labels(
        LOGITS, 0.4, tol=1e-10, out_dtype=torch.float64)
    assert res.n_outer == 1
    torch.testing.assert_close(res.plan, ref.plan, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(res.log_b, ref.log_b)


@pytest.mark.parametrize('rho', [0.1, 0.6, 1.0])
def test_output_satisfies_the_p2ot_marginals(rho):
    s = KNNGraph.from_features(FEATS, k=5).to_sparse()
    res = solve_mm(s, rho, lam1_schedule(rho, 100.))
    n = LOGITS.shape[0]
    assert torch.isfinite(res.plan).all() and (res.plan >= 0).all()
    rows = res.plan.sum(1) + res.dummy
    assert float((rows - 1).abs().max()) <= 1e-8
    assert float(res.dummy.sum()) == pytest.approx(n * (1 - rho), abs=1e-8)
    assert float(res.plan.sum()) / n == pytest.approx(rho, abs=1e-8)


@pytest.mark.parametrize('sparse', [False, True])
def test_objective_non_increasing_with_psd_similarity(sparse):
    """S = same-cluster indicator (block diagonal after sorting, PSD): the
    full objective decreases at every MM step."""
    s = (LABELS[:, None] == LABELS[None]).double()
    if sparse:
        s = s.to_sparse()
    res = solve_mm(s, 0.5, 0.05, max_outer=30, outer_tol=1e-12)
    obj = torch.stack(res.objectives)
    assert res.n_outer >= 3
    assert (obj[1:] <= obj[:-1] + 1e-12).all(), obj
    assert float(obj[-1]) < float(obj[0])


def test_sparse_and_dense_similarity_agree():
    s = KNNGraph.from_features(FEATS, k=5).to_sparse()
    a = solve_mm(s, 0.5, 20.0)
    b = solve_mm(s.to_dense(), 0.5, 20.0)
    assert a.n_outer == b.n_outer
    torch.testing.assert_close(a.plan, b.plan, rtol=1e-9, atol=1e-12)


def test_relation_weight_raises_neighbour_agreement():
    graph = KNNGraph.from_features(FEATS, k=5)
    s = graph.to_sparse()
    agreement = []
    for lam1 in (0.0, 5.0, 20.0):
        labels = solve_mm(s, 0.8, lam1).plan.argmax(1)
        agreement.append(
            float((labels[graph.indices] == labels[:, None]).double().mean()))
    assert agreement[0] < agreement[1] < agreement[2], agreement


def test_batched_heads_and_warm_start():
    s = KNNGraph.from_features(FEATS, k=5).to_sparse()
    both = semantic_partial_ot_pseudo_labels(
        torch.stack([LOGITS, LOGITS.flip(1)]),
        s,
        0.5,
        10.0,
        out_dtype=torch.float64)
    one = solve_mm(s, 0.5, 10.0)
    assert both.plan.shape == (2, ) + LOGITS.shape
    torch.testing.assert_close(both.plan[0], one.plan, rtol=1e-7, atol=1e-9)
    torch.testing.assert_close(
        both.plan[1], one.plan.flip(1), rtol=1e-7, atol=1e-9)
    warm = solve_mm(s, 0.5, 10.0, init_log_b=one.log_b)
    torch.testing.assert_close(warm.plan, one.plan, rtol=1e-6, atol=1e-8)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='lam1'):
        solve_mm(None, 0.5, -1.0)
    with pytest.raises(ValueError, match='rho'):
        solve_mm(None, 0.0, 1.0)
    with pytest.raises(ValueError, match='similarity must be'):
        solve_mm(torch.zeros(3, 3), 0.5, 1.0)
    with pytest.raises(ValueError, match='eta'):
        solve_mm(None, 0.5, 1.0, eta=0.0)


def test_lam1_schedule():
    assert lam1_schedule(0.1) == pytest.approx(900.0)
    assert lam1_schedule(1.0) == 0.0
    assert np.isclose(lam1_schedule(0.5, 10.0), 5.0)


def test_extreme_relation_weight_on_a_tiny_problem_stays_feasible():
    """4 samples, 100 clusters, lam1 = 900: the majorised costs reach -100s
    (kernel range e^1000); every MM step either converges or is rejected,
    and the output still meets the P²OT marginals."""
    torch.manual_seed(0)
    logits = 0.1 * torch.randn(4, 100)
    s = KNNGraph.from_features(
        torch.randn(20, 5), k=3).subgraph(torch.arange(4))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = semantic_partial_ot_pseudo_labels(
            logits, s, 0.1, 900., out_dtype=torch.float64)
    assert torch.isfinite(res.plan).all()
    rows = res.plan.sum(1) + res.dummy
    assert float((rows - 1).abs().max()) <= 1e-6
    assert float(res.dummy.sum()) == pytest.approx(4 * 0.9, abs=1e-6)
