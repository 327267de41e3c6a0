import math

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmlt.models.heads import CosineClsHead, LTLinearClsHead
from mmlt.models.layers import NormedLinear

COUNTS = [90, 9, 1]


def _cos(a, b):
    return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))


def test_cosine_head_by_hand():
    head = CosineClsHead(num_classes=3, in_channels=2, scale=30)
    w = torch.tensor([[1., 0.], [0., 2.], [1., 1.]])
    head.fc.weight.data.copy_(w)
    x = torch.tensor([[3., 4.]])
    out = head((x, ))
    expected = [30 * _cos([3, 4], row) for row in w.tolist()]
    np.testing.assert_allclose(out[0].tolist(), expected, rtol=1e-6)


def test_squash_and_learnable_scale_by_hand():
    head = CosineClsHead(
        num_classes=2,
        in_channels=2,
        scale=25,
        feature_norm='squash',
        learnable_scale=True)
    head.fc.weight.data.copy_(torch.tensor([[1., 0.], [0., 1.]]))
    x = torch.tensor([[3., 4.]])  # |x| = 5 -> squash factor 5/6
    out = head((x, ))
    # scale = p^2 with p = sqrt(25) = 5
    np.testing.assert_allclose(
        out[0].tolist(), [25 * 5 / 6 * 0.6, 25 * 5 / 6 * 0.8], rtol=1e-6)
    assert head.fc.scale_param.requires_grad
    out.sum().backward()
    assert head.fc.scale_param.grad is not None


def test_posthoc_offsets_by_hand():
    feats = (torch.tensor([[1., 0.]]), )
    la = CosineClsHead(
        num_classes=3,
        in_channels=2,
        posthoc='logit_adjust',
        posthoc_tau=1.0,
        class_counts=COUNTS)
    raw = la(feats)[0]
    adjusted = la.adjust_logits(la(feats))[0]
    prior = np.array(COUNTS) / 100
    np.testing.assert_allclose(
        (adjusted - raw).tolist(), -np.log(prior), rtol=1e-5)
    iif = CosineClsHead(
        num_classes=3, in_channels=2, posthoc='iif', class_counts=COUNTS)
    diff = (iif.adjust_logits(iif(feats)) - iif(feats))[0]
    np.testing.assert_allclose(
        diff.tolist(), [math.log((100 - n) / n) for n in COUNTS], rtol=1e-5)
    # predictions use the adjusted scores
    pred = iif.predict(feats)[0]
    assert isinstance(pred, DataSample)
    expected = torch.softmax(iif.adjust_logits(iif(feats)), 1)[0]
    torch.testing.assert_close(pred.pred_score, expected)


def test_posthoc_needs_counts():
    head = CosineClsHead(num_classes=3, in_channels=2, posthoc='iif')
    with pytest.raises(RuntimeError, match='training counts'):
        head.predict((torch.ones(1, 2), ))
    with pytest.raises(ValueError, match='posthoc'):
        CosineClsHead(num_classes=3, in_channels=2, posthoc='tde')
    with pytest.raises(ValueError, match='feature_norm'):
        CosineClsHead(num_classes=3, in_channels=2, feature_norm='l1')


def test_tau_norm_by_hand():
    head = LTLinearClsHead(num_classes=2, in_channels=2, tau_norm=1.0)
    head.fc.weight.data.copy_(torch.tensor([[3., 4.], [0., 2.]]))
    head.fc.bias.data.copy_(torch.tensor([0.5, -0.5]))
    x = torch.tensor([[1., 1.]])
    score = head.predict((x, ))[0].pred_score
    logits = torch.tensor([(3 + 4) / 5 + 0.5, 2 / 2 - 0.5])
    torch.testing.assert_close(score, torch.softmax(logits, 0))
    # training path is plain LinearClsHead
    torch.testing.assert_close(head((x, ))[0], torch.tensor([7.5, 1.5]))


def test_heads_train_with_soft_labels():
    head = CosineClsHead(
        num_classes=3,
        in_channels=4,
        loss=dict(type='CrossEntropyLoss', use_soft=True))
    samples = [
        DataSample().set_gt_label(0).set_gt_score(torch.tensor([.6, .4, 0.]))
        for _ in range(2)
    ]
    feats = (torch.randn(2, 4, requires_grad=True), )
    losses = head.loss(feats, samples)
    losses['loss'].backward()
    assert feats[0].grad is not None


def test_normed_linear_layer():
    torch.manual_seed(0)
    layer = NormedLinear(4, 3, scale=30)
    assert layer.weight.shape == (3, 4)  # (classes, features), nn.Linear
    out = layer(torch.randn(5, 4))
    assert out.shape == (5, 3) and out.abs().max() <= 30 + 1e-4
    # 'unit' (LDAM/RIDE NormedLinear): unit-norm class vectors at init
    torch.testing.assert_close(
        layer.weight.norm(dim=1), torch.ones(3), atol=1e-6, rtol=0)
    assert layer.weight.abs().max() <= 1
    # 'linear' (APA): nn.Linear's U(+-1/sqrt(in)) init
    wide = NormedLinear(400, 1000, init='linear')
    assert wide.weight.abs().max() <= 1 / 20
    assert wide.weight.norm(dim=1).mean().item() == pytest.approx(
        (400 / 3)**0.5 / 20, rel=0.02)
    with pytest.raises(ValueError, match="init must be one of"):
        NormedLinear(4, 3, init='uniform')
    with pytest.raises(ValueError, match='scale must be positive'):
        NormedLinear(4, 3, scale=0)


def test_cosine_head_init_per_method():
    ldam = CosineClsHead(num_classes=100, in_channels=64)
    torch.testing.assert_close(ldam.fc.weight.norm(dim=1), torch.ones(100))
    apa = CosineClsHead(num_classes=100, in_channels=64, init='linear')
    assert apa.fc.weight.abs().max() <= 1 / 8
