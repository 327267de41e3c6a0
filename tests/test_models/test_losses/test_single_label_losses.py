import math

import numpy as np
import pytest
import torch

from mmlt.models.losses import ClassBalancedLoss, LDAMLoss, LogitAdjustedLoss
from mmlt.registry import MODELS

COUNTS = [100, 10, 1]
LOGITS = torch.tensor([[2.0, 1.0, -1.0], [0.5, 0.2, 3.0]])
TARGET = torch.tensor([0, 2])


def _ce(z, y):
    z = np.asarray(z, dtype=np.float64)
    return -(z[y] - math.log(np.exp(z).sum()))


def test_ldam_by_hand():
    s, max_m = 30., 0.5
    # m_c ∝ n^-1/4, largest (class 2, n=1) = 0.5
    m = [max_m * (1 / n**0.25) / 1.0 for n in COUNTS]
    loss = LDAMLoss(max_m=max_m, s=s, class_counts=COUNTS)
    z0 = [2.0 - s * m[0], 1.0, -1.0]
    z1 = [0.5, 0.2, 3.0 - s * m[2]]
    expected = (_ce(z0, 0) + _ce(z1, 2)) / 2
    assert loss(LOGITS, TARGET).item() == pytest.approx(expected, rel=1e-5)


def test_ldam_drw_weights_by_hand():
    beta = 0.9
    w = [(1 - beta) / (1 - beta**n) for n in COUNTS]
    w = [x / sum(w) * 3 for x in w]
    loss = LDAMLoss(
        max_m=0.5,
        s=30,
        reweight='effective_num',
        beta=beta,
        class_counts=COUNTS)
    m = [0.5 / n**0.25 for n in COUNTS]
    l0 = _ce([2.0 - 30 * m[0], 1.0, -1.0], 0)
    l1 = _ce([0.5, 0.2, 3.0 - 30 * m[2]], 2)
    expected = (w[0] * l0 + w[2] * l1) / (w[0] + w[2])  # weighted mean
    assert loss(LOGITS, TARGET).item() == pytest.approx(expected, rel=1e-5)


def test_ldam_needs_counts_and_hard_labels():
    loss = LDAMLoss()
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        loss(LOGITS, TARGET)
    loss.set_class_counts(COUNTS)
    with pytest.raises(ValueError, match='hard labels'):
        loss(LOGITS, torch.eye(3)[TARGET])
    with pytest.raises(ValueError, match='reweight'):
        LDAMLoss(reweight='inverse')
    with pytest.raises(ValueError, match='0 training images'):
        LDAMLoss(class_counts=[3, 0])


@pytest.mark.parametrize('tau', [1.0, 0.5])
def test_logit_adjusted_by_hand(tau):
    prior = np.array(COUNTS) / sum(COUNTS)
    loss = LogitAdjustedLoss(tau=tau, class_counts=COUNTS)
    expected = np.mean([
        _ce(np.array(z) + tau * np.log(prior), y)
        for z, y in zip(LOGITS.tolist(), TARGET.tolist())
    ])
    assert loss(LOGITS, TARGET).item() == pytest.approx(expected, rel=1e-5)
    # soft (mixup) targets: one-hot gives the same value
    soft = torch.eye(3)[TARGET]
    assert loss(LOGITS, soft).item() == pytest.approx(expected, rel=1e-5)


def test_class_balanced_softmax_and_focal_by_hand():
    beta = 0.99
    w = np.array([(1 - beta) / (1 - beta**n) for n in COUNTS])
    w = w / w.sum() * 3
    sm = ClassBalancedLoss(beta=beta, loss_type='softmax', class_counts=COUNTS)
    expected = np.mean(
        [w[y] * _ce(z, y) for z, y in zip(LOGITS.tolist(), TARGET.tolist())])
    assert sm(LOGITS, TARGET).item() == pytest.approx(expected, rel=1e-5)

    gamma = 2.0
    focal = ClassBalancedLoss(
        beta=beta, loss_type='focal', gamma=gamma, class_counts=COUNTS)
    per = []
    for z, y in zip(LOGITS.tolist(), TARGET.tolist()):
        tot = 0.
        for c, zc in enumerate(z):
            p = 1 / (1 + math.exp(-zc))
            pt = p if c == y else 1 - p
            tot += -(1 - pt)**gamma * math.log(pt)
        per.append(w[y] * tot)
    assert focal(LOGITS, TARGET).item() == pytest.approx(
        np.mean(per), rel=1e-5)
    with pytest.raises(ValueError, match='loss_type'):
        ClassBalancedLoss(loss_type='hinge')
    with pytest.raises(ValueError, match='beta'):
        ClassBalancedLoss(beta=1.0)


@pytest.mark.parametrize('cfg', [
    dict(type='LDAMLoss'),
    dict(type='LDAMLoss', reweight='effective_num'),
    dict(type='LogitAdjustedLoss'),
    dict(type='ClassBalancedLoss', loss_type='sigmoid'),
])
def test_registered_and_gradients_flow(cfg):
    loss = MODELS.build(dict(cfg, class_counts=COUNTS))
    logits = LOGITS.clone().requires_grad_()
    value = loss(logits, TARGET)
    value.backward()
    assert torch.isfinite(value)
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_sample_weights_and_avg_factor_by_hand():
    """The arguments mmpretrain heads pass (``weight``, ``avg_factor``,
    ``reduction_override``)."""
    m = [0.5 / n**0.25 for n in COUNTS]
    l0 = _ce([2.0 - 30 * m[0], 1.0, -1.0], 0)
    l1 = _ce([0.5, 0.2, 3.0 - 30 * m[2]], 2)
    weight = torch.tensor([1., 3.])
    ldam = LDAMLoss(class_counts=COUNTS)
    assert ldam(LOGITS, TARGET, weight=weight, avg_factor=5).item() == \
        pytest.approx((l0 + 3 * l1) / 5, rel=1e-5)
    assert ldam(LOGITS, TARGET, reduction_override='sum').item() == \
        pytest.approx(l0 + l1, rel=1e-5)
    none = ldam(LOGITS, TARGET, reduction_override='none')
    np.testing.assert_allclose(none.tolist(), [l0, l1], rtol=1e-5)
    # with class weights every sample counts as its class weight: the head's
    # avg_factor = N gives torch's weighted mean
    beta = 0.9
    w = [(1 - beta) / (1 - beta**n) for n in COUNTS]
    w = [x / sum(w) * 3 for x in w]
    drw = LDAMLoss(reweight='effective_num', beta=beta, class_counts=COUNTS)
    assert drw(
        LOGITS, TARGET, avg_factor=2).item() == pytest.approx(
            (w[0] * l0 + w[2] * l1) / (w[0] + w[2]), rel=1e-5)
    assert drw(LOGITS, TARGET, weight=weight, avg_factor=2).item() == \
        pytest.approx((w[0] * l0 + 3 * w[2] * l1) / (w[0] + w[2]), rel=1e-5)
    la = LogitAdjustedLoss(class_counts=COUNTS)
    prior = np.array(COUNTS) / sum(COUNTS)
    per = [
        _ce(np.array(z) + np.log(prior), y)
        for z, y in zip(LOGITS.tolist(), TARGET.tolist())
    ]
    assert la(LOGITS, TARGET, weight=weight, avg_factor=4).item() == \
        pytest.approx((per[0] + 3 * per[1]) / 4, rel=1e-5)


@pytest.mark.parametrize('loss',
                         [LDAMLoss, LogitAdjustedLoss, ClassBalancedLoss])
def test_head_classes_differ_from_dataset_classes(loss):
    with pytest.raises(
            ValueError,
            match=r'4-class scores but the training '
            r'set has 3 classes'):
        loss(class_counts=COUNTS)(torch.zeros(2, 4), torch.tensor([0, 1]))


def test_ldam_set_reweight():
    loss = LDAMLoss(class_counts=COUNTS)
    assert loss.weight is None
    loss.set_reweight(True)
    assert loss.reweight == 'effective_num'
    torch.testing.assert_close(loss.weight.sum(), torch.tensor(3.))
    loss.set_reweight(False)
    assert loss.weight is None and loss.reweight is None
