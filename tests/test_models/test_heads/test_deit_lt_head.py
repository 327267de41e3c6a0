# Copyright (c) mmlt contributors. All rights reserved.
"""DeiTLTHead: (1 - alpha) L_cls + alpha L_dist as two weighted terms,
prediction = mean of the CLS and DIST logits, branch scores stored."""
import warnings

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS

C = 4


def _head(**kwargs):
    cfg = dict(
        type='DeiTLTHead',
        num_classes=C,
        in_channels=6,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    for p in head.parameters():  # the default init is all-zero
        torch.nn.init.normal_(p)
    return head


def _feats(n=3):
    torch.manual_seed(1)
    return ((torch.randn(n, 6), torch.randn(n, 6)), )


def _branches(head, feats):
    cls_token, dist_token = feats[-1]
    return head.layers.head(cls_token), head.layers.head_dist(dist_token)


def test_loss_terms_with_mixup_targets_and_teacher():
    head = _head()
    head.train()
    feats = _feats()
    scores = torch.tensor([[.7, .3, 0, 0], [0, 0, 1., 0], [0, .4, 0, .6]])
    samples = [
        DataSample().set_gt_label(int(s.argmax())).set_gt_score(s)
        for s in scores
    ]
    teacher = torch.tensor([[0., 3, 0, 0], [1, 0, 0, 0], [0, 0, 0, 2]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # DeiTClsHead warns in training
        losses = head.loss(feats, samples, teacher_logits=teacher)
    assert set(losses) == {'loss_cls', 'loss_dist'}
    z_cls, z_dist = _branches(head, feats)
    smoothed = scores * 0.9 + 0.1 / C
    cls = -(smoothed * F.log_softmax(z_cls, 1)).sum(1).mean()
    dist = F.cross_entropy(z_dist, teacher.argmax(1))
    torch.testing.assert_close(losses['loss_cls'], 0.5 * cls)
    torch.testing.assert_close(losses['loss_dist'], 0.5 * dist)

    head = _head(alpha=0.2)
    losses = head.loss(feats, samples, teacher_logits=teacher)
    torch.testing.assert_close(losses['loss_cls'], 0.8 * cls)
    torch.testing.assert_close(losses['loss_dist'], 0.2 * dist)


def test_hard_labels_and_teacher_class_count():
    head = _head(loss=dict(type='CrossEntropyLoss'))
    feats = _feats(2)
    samples = [DataSample().set_gt_label(i) for i in (1, 3)]
    teacher = torch.randn(2, C)
    losses = head.loss(feats, samples, teacher_logits=teacher)
    z_cls, _ = _branches(head, feats)
    torch.testing.assert_close(
        losses['loss_cls'], 0.5 * F.cross_entropy(z_cls, torch.tensor([1, 3])))
    with pytest.raises(ValueError, match='teacher outputs 7 classes'):
        head.loss(feats, samples, teacher_logits=torch.randn(2, 7))
    with pytest.raises(ValueError, match='needs teacher_logits'):
        head.loss(feats, samples)
    # alpha = 0: no distillation, no teacher needed
    assert set(_head(alpha=0.).loss(feats, samples)) == {'loss_cls'}
    with pytest.raises(ValueError, match='alpha'):
        _head(alpha=1.5)


def test_predict_mean_logits_and_branch_scores():
    head = _head()
    head.eval()
    feats = _feats()
    preds = head.predict(feats, [DataSample() for _ in range(3)])
    z_cls, z_dist = _branches(head, feats)
    for i, sample in enumerate(preds):
        torch.testing.assert_close(sample.pred_score,
                                   F.softmax((z_cls[i] + z_dist[i]) / 2, 0))
        torch.testing.assert_close(sample.pred_score_cls,
                                   F.softmax(z_cls[i], 0))
        torch.testing.assert_close(sample.pred_score_dist,
                                   F.softmax(z_dist[i], 0))
        assert int(sample.pred_label) == int((z_cls[i] + z_dist[i]).argmax())
    torch.testing.assert_close(head(feats), (z_cls + z_dist) / 2)
    assert len(head.predict(feats)) == 3  # without data samples
