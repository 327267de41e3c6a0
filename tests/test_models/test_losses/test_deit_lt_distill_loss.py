# Copyright (c) mmlt contributors. All rights reserved.
"""DeiTLTDistillLoss against hand-computed values: hard, re-weighted hard
(torch's weighted mean, weights indexed by the teacher's class), soft,
re-weighted soft (per-sample KLs weighted), DeiT's /numel scaling, and the
official 1-tuple flag bug kept out."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mmlt  # noqa: F401
from mmlt.models.losses import DeiTLTDistillLoss
from mmlt.registry import MODELS

COUNTS = [100, 10, 1]
# student DIST logits and teacher logits, 3 samples x 3 classes
Z = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0], [0.0, 0.0, 1.0]])
T = torch.tensor([[3.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 4.0, 1.0]])
TEACHER_CLASS = [0, 2, 1]


def _log_softmax(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(v - m) for v in row))
    return [v - lse for v in row]


def _ce(row, target):
    return -_log_softmax(row)[target]


def _weights(beta=0.9999):
    w = [(1 - beta) / (1 - beta**n) for n in COUNTS]
    return [v / sum(w) * len(w) for v in w]


def _kl(z_row, t_row, tau):
    log_s = _log_softmax([v / tau for v in z_row])
    log_t = _log_softmax([v / tau for v in t_row])
    return sum(math.exp(lt) * (lt - ls) for lt, ls in zip(log_t, log_s))


def test_hard_is_ce_against_the_teacher_argmax():
    loss = DeiTLTDistillLoss()
    expected = np.mean([_ce(z, t) for z, t in zip(Z.tolist(), TEACHER_CLASS)])
    assert loss(Z, T).item() == pytest.approx(expected, rel=1e-6)
    # with the batch size as avg_factor (how DeiTLTHead calls it)
    assert loss(Z, T, avg_factor=3).item() == pytest.approx(expected, 1e-6)
    assert loss(Z, T, reduction_override='none').shape == (3, )


def test_reweighted_hard_is_torch_weighted_mean_by_teacher_class():
    loss = DeiTLTDistillLoss(class_counts=COUNTS)
    loss.set_reweight(True)
    w = _weights()
    per = [_ce(z, t) for z, t in zip(Z.tolist(), TEACHER_CLASS)]
    wi = [w[t] for t in TEACHER_CLASS]
    expected = sum(a * b for a, b in zip(wi, per)) / sum(wi)
    assert sum(w) == pytest.approx(3)
    for kwargs in (dict(), dict(avg_factor=3)):
        assert loss(Z, T, **kwargs).item() == pytest.approx(expected, rel=1e-6)
    # = the official F.cross_entropy(z, argmax t, weight=w)
    ref = F.cross_entropy(Z, T.argmax(1), weight=torch.tensor(w))
    assert loss(Z, T).item() == pytest.approx(ref.item(), rel=1e-6)
    # switched off again: unweighted
    loss.set_reweight(False)
    assert loss(Z, T).item() == pytest.approx(np.mean(per), rel=1e-6)


@pytest.mark.parametrize('tau', [1.0, 2.0])
def test_soft_is_tau2_kl_per_sample_mean(tau):
    loss = DeiTLTDistillLoss(distill_type='soft', tau=tau)
    kls = [_kl(z, t, tau) for z, t in zip(Z.tolist(), T.tolist())]
    expected = np.mean(kls) * tau**2
    assert loss(Z, T).item() == pytest.approx(expected, rel=1e-5)
    ref = F.kl_div(
        F.log_softmax(Z / tau, 1),
        F.log_softmax(T / tau, 1),
        reduction='batchmean',
        log_target=True) * tau**2
    assert loss(Z, T).item() == pytest.approx(ref.item(), rel=1e-5)


def test_reweighted_soft_weights_the_per_sample_kls():
    tau = 2.0
    loss = DeiTLTDistillLoss(
        distill_type='soft', tau=tau, reweight='effective_num')
    loss.set_class_counts(COUNTS)
    w = _weights()
    wi = [w[t] for t in TEACHER_CLASS]
    kls = [_kl(z, t, tau) * tau**2 for z, t in zip(Z.tolist(), T.tolist())]
    expected = sum(a * b for a, b in zip(wi, kls)) / sum(wi)
    assert loss(Z, T).item() == pytest.approx(expected, rel=1e-5)
    # not the official variant (log-probabilities times w, renormalised)
    pred_t = F.log_softmax(T / tau, 1) * torch.tensor(w)
    pred_t = pred_t / pred_t.sum(1)[:, None]
    official = F.kl_div(
        F.log_softmax(Z / tau, 1), pred_t, reduction='sum',
        log_target=True) * tau**2 / Z.numel()
    assert loss(Z, T).item() != pytest.approx(official.item(), rel=1e-2)


def test_soft_numel_scaling_is_deits_legacy_mean():
    loss = DeiTLTDistillLoss(distill_type='soft', soft_numel_scaling=True)
    deit = F.kl_div(
        F.log_softmax(Z, 1),
        F.log_softmax(T, 1),
        reduction='sum',
        log_target=True) / Z.numel()
    assert loss(Z, T).item() == pytest.approx(deit.item(), rel=1e-5)
    loss.set_class_counts(COUNTS)
    loss.set_reweight(True)
    with pytest.raises(ValueError, match='soft_numel_scaling'):
        loss(Z, T)
    with pytest.raises(ValueError, match="'soft' only"):
        DeiTLTDistillLoss(soft_numel_scaling=True)


def test_no_weighting_unless_switched_on():
    """The official main.py builds ``(args.weighted_distillation,)``, a
    truthy 1-tuple, so without --drw it re-weights from epoch 0. Here the
    default is unweighted even with class counts, and flags are typed."""
    loss = MODELS.build(dict(type='DeiTLTDistillLoss', class_counts=COUNTS))
    assert loss.reweight is None and loss.weight is None
    per = [_ce(z, t) for z, t in zip(Z.tolist(), TEACHER_CLASS)]
    assert loss(Z, T).item() == pytest.approx(np.mean(per), rel=1e-6)
    with pytest.raises(TypeError, match='bool'):
        loss.set_reweight((False, ))
    with pytest.raises(ValueError, match='reweight'):
        DeiTLTDistillLoss(reweight=(True, ))
    with pytest.raises(ValueError, match='distill_type'):
        DeiTLTDistillLoss(distill_type='none')


def test_errors():
    loss = DeiTLTDistillLoss()
    with pytest.raises(ValueError, match='same classes'):
        loss(Z, T[:, :2])
    loss.set_reweight(True)  # no counts yet
    with pytest.raises(RuntimeError, match='training counts'):
        loss(Z, T)
    loss.set_class_counts([5, 4, 3, 2])
    with pytest.raises(ValueError, match='4 classes'):
        loss(Z, T)


def test_gradients_reach_only_the_student():
    z = Z.clone().requires_grad_()
    t = T.clone().requires_grad_()
    DeiTLTDistillLoss(distill_type='soft')(z, t).backward()
    assert z.grad is not None and t.grad is None
