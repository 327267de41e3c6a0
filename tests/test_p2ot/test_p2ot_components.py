# Copyright (c) mmlt contributors. All rights reserved.
"""Logits bank, pseudo-labeler flow, head loss and the rho ramp, checked by
hand on tiny tensors."""
import math

import pytest
import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from mmlt.engine.hooks import RhoRampHook
from mmlt.models.heads import CosineClusterHead
from mmlt.models.utils import LogitsBank, PartialOTPseudoLabeler
from mmlt.ot import partial_ot_pseudo_labels


def test_rho_ramp_values_of_the_paper():
    """Eq. 7 with rho0 = 0.1: the spec's table at t/T = 0 ... 1."""
    hook = RhoRampHook()
    expected = [0.1061, 0.1540, 0.3579, 0.7585, 0.9561, 1.0]
    got = [hook.rho_at(t, 100) for t in (0, 25, 50, 75, 90, 100)]
    assert got == pytest.approx(expected, abs=1e-4)
    assert RhoRampHook(strategy='linear').rho_at(50, 100) == \
        pytest.approx(0.55)
    assert RhoRampHook(strategy='fixed').rho_at(99, 100) == 0.1
    with pytest.raises(ValueError, match='strategy'):
        RhoRampHook(strategy='cosine')
    with pytest.raises(ValueError, match='rho_start'):
        RhoRampHook(rho_start=0.0)


def test_logits_bank_enqueue_overwrite_and_wrap():
    bank = LogitsBank(num_heads=2, num_clusters=3, size=5)
    first = torch.arange(18.).reshape(2, 3, 3)
    rows = bank.enqueue(first, torch.tensor([10, 11, 12]))
    assert rows.tolist() == [0, 1, 2] and not bank.is_full
    second = -torch.ones(2, 3, 3)
    rows = bank.enqueue(second, torch.tensor([13, 14, 15]))
    assert rows.tolist() == [3, 4, 0] and bank.is_full  # wraps around
    assert bank.indices.tolist() == [15, 11, 12, 13, 14]
    rows = bank.overwrite(2 * second, torch.tensor([23, 24, 25]))
    assert rows.tolist() == [3, 4, 0]  # the same rows again
    assert bank.indices.tolist() == [25, 11, 12, 23, 24]
    assert bank.logits[1, 0].tolist() == [-2.] * 3
    assert int(bank.ptr) == 1
    with pytest.raises(ValueError, match='raise bank_size'):
        bank.enqueue(torch.zeros(2, 6, 3), torch.arange(6))


def test_pseudo_labeler_solves_on_the_bank_per_view():
    torch.manual_seed(0)
    labeler = PartialOTPseudoLabeler(
        num_clusters=4, num_heads=1, bank_size=12, rho=0.3)
    # before the bank is full: the batch alone
    views = [torch.randn(1, 6, 4), torch.randn(1, 6, 4)]
    targets = labeler(views)
    ref = partial_ot_pseudo_labels(views[0], 0.3)
    torch.testing.assert_close(targets[0], ref.plan)
    # fill the bank, then: view 1 enqueued and solved, view 2 overwrites
    labeler.bank.enqueue(torch.randn(1, 12, 4), torch.arange(12))
    warm = labeler.log_b.clone()
    views = [torch.randn(1, 6, 4), torch.randn(1, 6, 4)]
    targets = labeler(views, torch.arange(100, 106))
    bank = labeler.bank.logits.clone()
    assert torch.equal(bank[:, :6], views[1])  # view 2 overwrote view 1
    assert labeler.bank.indices[:6].tolist() == list(range(100, 106))
    first_bank = torch.cat([views[0], bank[:, 6:]], 1)
    ref1 = partial_ot_pseudo_labels(first_bank, 0.3, init_log_b=warm)
    torch.testing.assert_close(targets[0], ref1.plan[:, :6])
    ref2 = partial_ot_pseudo_labels(bank, 0.3, init_log_b=ref1.log_b)
    torch.testing.assert_close(targets[1], ref2.plan[:, :6])
    torch.testing.assert_close(labeler.log_b, ref2.log_b)
    # row weights are the solver's: at rho = 0.3 the bank's total is 0.3 N
    assert float(ref2.plan.sum()) == pytest.approx(0.3 * 12, rel=1e-5)


class _FixedTargets(nn.Module):
    """Stands in for the solver: returns given targets per view."""

    def __init__(self, targets, **kwargs):
        super().__init__()
        self.targets = targets
        self.rho = torch.tensor(0.5)

    def forward(self, view_logits, indices=None):
        assert indices.tolist() == [7, 9]
        return self.targets


def test_head_loss_is_the_swapped_soft_cross_entropy_by_hand():
    q1 = torch.tensor([[[0.5, 0.0], [0.0, 0.25]]])  # (H, B, K), weights
    q2 = torch.tensor([[[0.0, 1.0], [0.2, 0.2]]])  # not renormalised
    head = CosineClusterHead(in_channels=2, num_clusters=2, logit_scale=1.0)
    head.pseudo_labeler = _FixedTargets([q1, q2])
    with torch.no_grad():
        head.prototypes.copy_(torch.tensor([[[1., 0.], [0., 1.]]]))
    f1 = torch.tensor([[1., 0.], [0., 2.]])  # cosines (1, 0) and (0, 1)
    f2 = torch.tensor([[3., 4.], [1., 0.]])  # (0.6, 0.8) and (1, 0)
    samples = [DataSample(metainfo=dict(sample_idx=i)) for i in (7, 9)]
    losses = head.loss([f1, f2], samples)

    def ce(z, q):
        lse = math.log(sum(math.exp(v) for v in z))
        return -sum(qk * (zk - lse) for zk, qk in zip(z, q))

    # view 1 learns view 2's targets and the other way round; batch mean
    expected = (ce([1, 0], [0, 1]) + ce([0, 1], [.2, .2])) / 2 + \
        (ce([.6, .8], [.5, 0]) + ce([1, 0], [0, .25])) / 2
    assert losses['loss_cluster'].item() == pytest.approx(expected, rel=1e-6)
    assert float(losses['rho']) == 0.5
    with pytest.raises(ValueError, match='needs >= 2 views'):
        head.loss([f1], samples)


def test_eval_head_is_the_one_with_the_lowest_running_loss():
    head = CosineClusterHead(
        in_channels=4,
        num_clusters=3,
        num_heads=3,
        pseudo_labeler=dict(type='PartialOTPseudoLabeler', bank_size=0))
    assert head.eval_head_index == 0  # nothing trained yet
    head.loss_ema.copy_(torch.tensor([0.9, 0.4, 0.7]))
    assert head.eval_head_index == 1
    preds = head.predict(torch.randn(5, 4))
    logits = head(torch.randn(5, 4))
    assert preds[0].head_labels.shape == (3, )
    assert logits.shape == (3, 5, 3)
    with pytest.raises(ValueError, match='eval_head'):
        CosineClusterHead(in_channels=4, num_clusters=3, eval_head=2)
