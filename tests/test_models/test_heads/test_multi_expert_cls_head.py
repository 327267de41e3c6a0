# Copyright (c) mmlt contributors. All rights reserved.
"""MultiExpertClsHead: K cosine classifiers, ensemble = mean logits."""
import logging

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)
COUNTS = [50, 20, 10, 5]


def build_head(num_experts=3):
    return MODELS.build(
        dict(
            type='MultiExpertClsHead',
            num_classes=4,
            in_channels=6,
            num_experts=num_experts,
            scale=30,
            loss=dict(type='RIDELoss', class_counts=COUNTS)))


def test_head_logits_by_hand():
    torch.manual_seed(0)
    head = build_head()
    # initial class vectors have unit norm, as RIDE's NormedLinear
    weight = torch.stack([c.weight.detach() for c in head.classifiers])
    assert weight.shape == (3, 4, 6)
    torch.testing.assert_close(weight.norm(dim=2), torch.ones(3, 4))
    feats = torch.randn(2, 3, 6)
    with torch.no_grad():
        logits = head.forward_experts((feats, ))
    assert logits.shape == (2, 3, 4)
    for n in range(2):
        for k in range(3):
            f = feats[n, k] / feats[n, k].norm()
            for c in range(4):
                w = weight[k, c] / weight[k, c].norm()
                assert logits[n, k, c].item() == pytest.approx(
                    30 * float(f @ w), rel=1e-5)
    with torch.no_grad():
        torch.testing.assert_close(head((feats, )), logits.mean(1))
        torch.testing.assert_close(
            head.expert_logits(feats[:, 1], 1), logits[:, 1])


def test_head_loss_and_predict():
    torch.manual_seed(0)
    head = build_head()
    feats = torch.randn(4, 3, 6, requires_grad=True)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = head.loss((feats, ), samples)
    assert set(losses) == {'loss_ind', 'loss_div'}
    sum(losses.values()).backward()
    assert feats.grad.abs().sum() > 0
    assert all(c.weight.grad.abs().sum() > 0 for c in head.classifiers)
    preds = head.predict((feats.detach(), ), samples)
    assert all(p.num_experts_used == 3 and p.num_experts == 3 for p in preds)
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]),
        F.softmax(head((feats.detach(), )), -1))
    with pytest.raises(ValueError, match=r'features \(N, 3, 6\)'):
        head((torch.randn(4, 6), ))
    soft = [
        DataSample().set_gt_score(torch.full((4, ), .25)) for _ in range(4)
    ]
    with pytest.raises(ValueError, match='hard labels'):
        head.loss((feats, ), soft)
    with pytest.raises(ValueError, match='num_experts=0 must be positive'):
        build_head(num_experts=0)
