# Copyright (c) mmlt contributors. All rights reserved.
"""MDCSLoss against values computed by hand on tiny tensors."""
import math

import numpy as np
import pytest
import torch

from mmlt.models.losses import MDCSLoss

COUNTS = [4, 2, 1]
POWERS = (0., 1.)  # expert 0: plain CE, expert 1: Balanced Softmax
# 2 images, weak views first: (2B, K, C) = (4, 2, 3)
LOGITS = torch.tensor(
    [
        [[2.0, 0.0, -1.0], [0.0, 1.0, 0.5]],  # weak, image 0 (label 0)
        [[0.0, 0.3, 1.0], [0.2, 0.1, 0.0]],  # weak, image 1 (label 2)
        [[1.0, 0.5, 0.0], [1.0, 0.0, -0.5]],  # strong, image 0
        [[0.5, 0.5, 0.5], [0.0, 0.0, 2.0]],  # strong, image 1
    ],
    dtype=torch.float64)
TARGET = torch.tensor([0, 2])


def _softmax(z):
    e = np.exp(np.asarray(z) - np.max(z))
    return e / e.sum()


def _shift(power, counts=COUNTS):
    return np.log(
        np.power(np.asarray(counts, dtype=np.float32), power) +
        np.float32(1e-9)).astype(np.float32)


def _by_hand(logits, target, cs_weight=0.6, t=1.0):
    z = logits.numpy()
    b = len(target)
    labels = list(target.tolist()) * 2
    dl, cs, confident = 0., 0., 0
    for k, power in enumerate(POWERS):
        shifted = z[:, k] + _shift(power)
        dl += np.mean(
            [-math.log(_softmax(shifted[i])[labels[i]]) for i in range(2 * b)])
        kls = []
        for i in range(b):
            weak, strong = shifted[i], shifted[b + i]
            if np.argmax(weak) != labels[i]:
                continue
            p, q = _softmax(weak / t), _softmax(strong / t)
            kls.append(float(np.sum(p * (np.log(p) - np.log(q)))))
        confident += len(kls)
        cs += np.mean(kls) if kls else 0.
    return dl, cs_weight * t * t * cs, confident / (b * len(POWERS))


def test_values_by_hand():
    loss = MDCSLoss(prior_powers=POWERS, class_counts=COUNTS)
    out = loss(LOGITS, TARGET)
    dl, cs, frac = _by_hand(LOGITS, TARGET)
    # image 0 is confident for both experts, image 1 only for expert 1
    # (weak expert 0 predicts class 2 = label; see the masks below)
    assert out['loss_dl'].item() == pytest.approx(dl, rel=1e-9)
    assert out['loss_cs'].item() == pytest.approx(cs, rel=1e-9)
    assert out['cs_confident'].item() == pytest.approx(frac)
    assert not out['cs_confident'].requires_grad
    # the temperature divides both sides and the term is scaled by T^2
    hot = MDCSLoss(
        prior_powers=POWERS,
        temperature=2.,
        cs_weight=0.3,
        class_counts=COUNTS)(LOGITS, TARGET)
    assert hot['loss_cs'].item() == pytest.approx(
        _by_hand(LOGITS, TARGET, cs_weight=0.3, t=2.)[1], rel=1e-9)


def test_confident_masks_and_empty_mask():
    loss = MDCSLoss(prior_powers=POWERS, class_counts=COUNTS)
    # no weak view predicts its label: no distillation at all
    wrong = LOGITS.clone()
    wrong[0, :, 0] = -5.  # image 0: class 0 never the argmax
    wrong[1, :, 2] = -5.  # image 1: class 2 never the argmax
    out = loss(wrong, TARGET)
    assert out['loss_cs'].item() == 0.
    assert out['cs_confident'].item() == 0.
    assert out['loss_dl'].item() == pytest.approx(
        _by_hand(wrong, TARGET)[0], rel=1e-9)


def test_gradients_only_through_the_strong_view():
    loss = MDCSLoss(prior_powers=POWERS, class_counts=COUNTS)
    logits = LOGITS.clone().requires_grad_()
    loss(logits, TARGET)['loss_cs'].backward()
    assert logits.grad[:2].abs().sum() == 0  # the weak view is the teacher
    assert logits.grad[2:].abs().sum() > 0


def test_shift_matches_the_official_float32_prior():
    loss = MDCSLoss(prior_powers=(-0.5, 1., 2.5), class_counts=[500, 50, 5])
    expected = np.stack([_shift(p, [500, 50, 5]) for p in (-0.5, 1., 2.5)])
    np.testing.assert_allclose(loss.shift.numpy(), expected, rtol=1e-6)
    # = lambda log n up to the official 1e-9
    np.testing.assert_allclose(
        expected, np.outer([-0.5, 1., 2.5], np.log([500, 50, 5])), atol=1e-6)


def test_bad_inputs():
    loss = MDCSLoss(prior_powers=POWERS, class_counts=COUNTS)
    with pytest.raises(ValueError, match='two views of every image'):
        loss(LOGITS[:2], TARGET)
    with pytest.raises(
            ValueError,
            match=r'2 prior_powers \(0.0, 1.0\) but '
            r'the model has 3 experts'):
        loss(torch.zeros(4, 3, 3), TARGET)
    with pytest.raises(ValueError, match='hard labels'):
        loss(LOGITS, torch.rand(2, 3))
    with pytest.raises(ValueError, match='4-class scores'):
        loss(torch.zeros(4, 2, 4), TARGET)
    with pytest.raises(RuntimeError, match='per-class training counts'):
        MDCSLoss()(LOGITS, TARGET)
    with pytest.raises(ValueError, match='temperature must be positive'):
        MDCSLoss(temperature=0)
