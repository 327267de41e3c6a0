# Copyright (c) mmlt contributors. All rights reserved.
"""DKTLoss (SHIKE) against values computed by hand on tiny tensors."""
import numpy as np
import pytest
import torch

from mmlt.models.losses import DKTLoss

# 2 samples, 3 experts, 4 classes
LOGITS = torch.tensor([
    [[2.0, 1.0, 0.5, -1.0], [1.5, 2.5, 0.0, 0.0], [0.5, 0.0, 3.0, 1.0]],
    [[0.0, 1.0, 2.0, 0.5], [-1.0, 0.5, 1.0, 2.0], [1.0, 1.5, 0.0, 0.2]],
],
                      dtype=torch.float64)
TARGET = torch.tensor([0, 3])


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    return z - np.max(z) - np.log(np.exp(z - np.max(z)).sum())


def _kl(p_logits, q_logits):
    lp, lq = _log_softmax(p_logits), _log_softmax(q_logits)
    return float(np.sum(np.exp(lp) * (lp - lq)))


def _by_hand(z, target, per_sample_norm):
    """Terms by hand; per_sample_norm: C (official 'mean') or 1
    ('batchmean')."""
    z = z.numpy()
    n, k, c = z.shape
    ce = hns = mutual = 0.
    for i in range(n):
        y = int(target[i])
        mean, zmax = z[i].mean(0), z[i].max(0)
        # hardest negative of the mean logits, the target excluded
        h = max((j for j in range(c) if j != y), key=lambda j: mean[j])
        teacher = [
            0. if j == y else mean[j] if j == h else zmax[j] for j in range(c)
        ]
        for e in range(k):
            ce += -_log_softmax(z[i, e])[y] / n
            student = [-30. if j == y else z[i, e, j] for j in range(c)]
            hns += _kl(teacher, student) / (n * per_sample_norm)
            for o in range(k):
                if o != e:
                    mutual += _kl(z[i, o], z[i, e]) / (n * per_sample_norm)
    return ce, hns, mutual


@pytest.mark.parametrize('reduction,norm', [('mean', 4), ('batchmean', 1)])
def test_terms_by_hand(reduction, norm):
    out = DKTLoss(reduction=reduction)(LOGITS, TARGET)
    ce, hns, mutual = _by_hand(LOGITS, TARGET, norm)
    # sample 0: mean = (4/3, 7/6, 7/6, 0) -> hardest negative is class 1
    # (ties broken by the first index, as torch.argmax)
    assert out['loss_ce'].item() == pytest.approx(ce, rel=1e-12)
    assert out['loss_hns'].item() == pytest.approx(10 * hns, rel=1e-12)
    assert out['loss_mutual'].item() == pytest.approx(mutual, rel=1e-12)


def test_soft_labels_give_the_same_values():
    soft = torch.eye(4, dtype=torch.float64)[TARGET]
    hard = DKTLoss()(LOGITS, TARGET)
    for key, value in DKTLoss()(LOGITS, soft).items():
        assert value.item() == pytest.approx(hard[key].item(), rel=1e-12)


def test_teachers_get_gradients_unless_detached():
    """Official: gradients flow into the teachers; detach_teachers stops
    them (the mutual term's gradient then only comes from the students)."""
    z = LOGITS.clone().requires_grad_()
    DKTLoss()(z, TARGET)['loss_mutual'].backward()
    full = z.grad.clone()
    z.grad = None
    DKTLoss(detach_teachers=True)(z, TARGET)['loss_mutual'].backward()
    detached = z.grad.clone()
    assert not torch.allclose(full, detached)
    # by hand for the detached form: d/dz_k sum_{j!=k} KL(p_j || q_k)
    # = sum_{j!=k} (q_k - p_j) / (N * C)
    p = torch.softmax(LOGITS, dim=-1)
    expected = (2 * p - (p.sum(1, keepdim=True) - p)) / (2 * 4)
    torch.testing.assert_close(detached, expected)


def test_bad_inputs():
    with pytest.raises(ValueError, match="reduction must be 'mean' or"):
        DKTLoss(reduction='sum')
    with pytest.raises(ValueError, match=r'per-expert logits \(N, K, C\)'):
        DKTLoss()(LOGITS[:, 0], TARGET)
    with pytest.raises(ValueError, match='labels for 2 samples of 4'):
        DKTLoss()(LOGITS, torch.zeros(2, 5))
