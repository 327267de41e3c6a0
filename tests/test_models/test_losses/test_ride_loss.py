# Copyright (c) mmlt contributors. All rights reserved.
"""RIDELoss against values computed by hand from the formulas (plain Python
loops over samples, experts and classes)."""
import math

import pytest
import torch

import mmlt  # noqa: F401
from mmlt.models.losses import RIDELoss, diversity_temperature

COUNTS = [8, 4, 1]  # 3 classes
S = 30.
LOGITS = torch.tensor([
    # sample 0 (label 0): expert 0, expert 1
    [[10., 2., -3.], [4., 6., 1.]],
    # sample 1 (label 2)
    [[-2., 5., 3.], [1., -1., 8.]],
])
TARGET = torch.tensor([0, 2])


def softmax(v):
    m = max(v)
    e = [math.exp(x - m) for x in v]
    return [x / sum(e) for x in e]


def by_hand(logits,
            target,
            counts,
            lam,
            reweight=False,
            gamma=0.05,
            beta=0.9999,
            max_m=0.5,
            t0=1.0):
    """(loss_ind, loss_div) written out from the spec, section 2.2."""
    n, k, c = logits.shape
    raw = [c_**-0.25 for c_ in counts]
    margins = [max_m * r / max(raw) for r in raw]
    if reweight:
        w = [(1 - beta) / (1 - beta**c_) for c_ in counts]
        w = [x / sum(w) * c for x in w]
        prior = [c_ / sum(counts) for c_ in counts]
        b = [gamma * c * p + 1 - gamma for p in prior]
        temp = [t0 * x / max(b) for x in b]
    else:
        w = [1.] * c
        temp = [t0] * c
    t_mean = sum(temp) / c
    ind = 0.
    for e in range(k):
        num = den = 0.
        for i in range(n):
            y = int(target[i])
            z = [
                float(logits[i, e, j]) - (S * margins[y] if j == y else 0)
                for j in range(c)
            ]
            num += -w[y] * math.log(softmax(z)[y])
            den += w[y]
        ind += num / den
    div = 0.
    for e in range(k):
        kl = 0.
        for i in range(n):
            mean = [
                sum(float(logits[i, q, j]) for q in range(k)) / k
                for j in range(c)
            ]
            p = softmax([mean[j] / temp[j] for j in range(c)])
            q = softmax([float(logits[i, e, j]) / temp[j] for j in range(c)])
            kl += sum(p[j] * (math.log(p[j]) - math.log(q[j]))
                      for j in range(c))
        div += lam * t_mean**2 * kl / n
    return ind, div


@pytest.mark.parametrize('reweight', [False, True])
@pytest.mark.parametrize('lam', [-0.45, -0.2, 0.3])
def test_values_match_formula(reweight, lam):
    loss = RIDELoss(
        reweight=reweight,
        additional_diversity_factor=lam,
        reweight_factor=0.05,
        class_counts=COUNTS)
    out = loss(LOGITS, TARGET)
    ind, div = by_hand(LOGITS, TARGET, COUNTS, lam, reweight=reweight)
    assert set(out) == {'loss_ind', 'loss_div'}
    assert out['loss_ind'].item() == pytest.approx(ind, rel=1e-5)
    assert out['loss_div'].item() == pytest.approx(div, rel=1e-5)


def test_diversity_sign():
    """lambda < 0 rewards disagreement with the ensemble (negative term),
    lambda > 0 penalises it, lambda = 0 switches it off; identical experts
    have no diversity term at all."""
    neg = RIDELoss(additional_diversity_factor=-0.45, class_counts=COUNTS)
    pos = RIDELoss(additional_diversity_factor=0.45, class_counts=COUNTS)
    off = RIDELoss(additional_diversity_factor=0., class_counts=COUNTS)
    assert neg(LOGITS, TARGET)['loss_div'].item() < 0
    assert pos(LOGITS, TARGET)['loss_div'].item() > 0
    assert off(LOGITS, TARGET)['loss_div'].item() == 0
    same = LOGITS[:, :1].expand(-1, 2, -1)
    assert neg(same, TARGET)['loss_div'].item() == pytest.approx(0, abs=1e-6)
    # minimising the negative term pushes experts away from the ensemble
    logits = LOGITS.clone().requires_grad_()
    neg(logits, TARGET)['loss_div'].backward()
    step = logits - 0.1 * logits.grad
    assert pos(step, TARGET)['loss_div'] > pos(LOGITS, TARGET)['loss_div']


def test_temperature_behaviour():
    counts = [int(500 * 0.01**(c / 99)) for c in range(100)]
    temp = diversity_temperature(counts, 0.05)
    # head class keeps T = 1, the tail gets the lowest T (spec: ~0.81)
    assert temp[0] == pytest.approx(1.0)
    assert temp[-1] == pytest.approx(0.8067, abs=1e-3)
    assert all(a >= b for a, b in zip(temp, temp[1:]))
    # by hand for the 3-class counts
    prior = [8 / 13, 4 / 13, 1 / 13]
    b = [0.05 * 3 * p + 0.95 for p in prior]
    expect = [x / max(b) for x in b]
    assert diversity_temperature(COUNTS, 0.05) == pytest.approx(expect)
    # gamma = 0: no per-class temperature
    assert diversity_temperature(COUNTS, 0.) == pytest.approx([1, 1, 1])
    with pytest.raises(ValueError, match='reweight_factor=2.0 is too large'):
        diversity_temperature(counts, 2.0)
    # before DRW the loss uses T = 1, after it the per-class temperature
    before = RIDELoss(class_counts=COUNTS)
    after = RIDELoss(reweight=True, class_counts=COUNTS)
    assert before.temperature is None and before.mean_temperature == 1.0
    assert after.temperature.tolist() == pytest.approx(expect)
    assert after.mean_temperature == pytest.approx(sum(expect) / 3)


def test_ensemble_target_is_detached():
    """The gradient of loss_div only flows through log softmax(z_k / T)."""
    loss = RIDELoss(additional_diversity_factor=-0.45, class_counts=COUNTS)
    logits = LOGITS.clone().requires_grad_()
    loss(logits, TARGET)['loss_div'].backward()
    p = torch.softmax(LOGITS.mean(1, keepdim=True), -1)
    q = torch.softmax(LOGITS, -1)
    # d/dz_k of -0.45 * KL(p || softmax(z_k)) / N with p fixed
    expect = -0.45 * (q - p) / LOGITS.size(0)
    torch.testing.assert_close(logits.grad, expect)


def test_distillation_term():
    teacher = torch.tensor([[3., 0., -1.], [0., 1., 2.]])
    loss = RIDELoss(
        additional_diversity_factor=-0.45,
        class_counts=COUNTS,
        distill_temperature=1.5,
        distill_factor=1.0)
    out = loss(LOGITS, TARGET, teacher_logits=teacher)
    kl = 0.
    for i in range(2):
        mean = [(float(LOGITS[i, 0, j]) + float(LOGITS[i, 1, j])) / 2
                for j in range(3)]
        pt = softmax([float(v) / 1.5 for v in teacher[i]])
        ps = softmax([v / 1.5 for v in mean])
        kl += sum(pt[j] * math.log(pt[j] / ps[j]) for j in range(3))
    assert out['loss_distill'].item() == pytest.approx(
        1.5**2 * kl / 2, rel=1e-5)
    ind, div = by_hand(LOGITS, TARGET, COUNTS, -0.45)
    assert out['loss_ind'].item() == pytest.approx(ind, rel=1e-5)


def test_collaborative_flag_reproduces_official_lambda_zero():
    plain = RIDELoss(additional_diversity_factor=0., class_counts=COUNTS)
    collab = RIDELoss(
        additional_diversity_factor=0.,
        class_counts=COUNTS,
        collaborative_if_no_diversity=True)
    mean = LOGITS.mean(1, keepdim=True).expand_as(LOGITS)
    ind_mean, _ = by_hand(mean, TARGET, COUNTS, 0.)
    ind_plain, _ = by_hand(LOGITS, TARGET, COUNTS, 0.)
    assert collab(LOGITS, TARGET)['loss_ind'].item() == pytest.approx(
        ind_mean, rel=1e-5)
    assert plain(LOGITS, TARGET)['loss_ind'].item() == pytest.approx(
        ind_plain, rel=1e-5)
    # with lambda != 0 the flag changes nothing
    a = RIDELoss(
        additional_diversity_factor=-.2,
        class_counts=COUNTS,
        collaborative_if_no_diversity=True)(LOGITS, TARGET)
    b = RIDELoss(
        additional_diversity_factor=-.2, class_counts=COUNTS)(LOGITS, TARGET)
    assert a['loss_ind'].item() == b['loss_ind'].item()


def test_bad_inputs():
    with pytest.raises(RuntimeError, match='needs the per-class training'):
        RIDELoss()(LOGITS, TARGET)
    loss = RIDELoss(class_counts=COUNTS)
    with pytest.raises(ValueError, match=r'per-expert logits \(N, K, C\)'):
        loss(LOGITS[:, 0], TARGET)
    with pytest.raises(ValueError, match='hard labels'):
        loss(LOGITS, torch.rand(2, 3))
    with pytest.raises(ValueError, match='got 4 classes'):
        loss(torch.zeros(2, 2, 4), TARGET)
    with pytest.raises(ValueError, match='s must be positive'):
        RIDELoss(s=0)
    with pytest.raises(ValueError, match='class 1 has 0'):
        RIDELoss(class_counts=[3, 0, 1])


def test_bad_reweight_factor_fails_before_drw():
    with pytest.raises(ValueError, match='reweight_factor=1.5 is too large'):
        RIDELoss(
            reweight=False, reweight_factor=1.5, class_counts=[1000, 1, 1, 1])
