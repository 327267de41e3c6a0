# Copyright (c) mmlt contributors. All rights reserved.
import json
import math

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict

from mmlt.det.models.losses import GumbelDropLoss, gumbel_bce
from mmlt.det.utils import read_lvis_category_stats

# class 0 is "rare": frequency 1 / 1000 < 0.0011; classes 1, 2 are not.
COUNTS, NUM_IMAGES = [1, 50, 100], 1000


def _bce(z, y):
    """Gumbel BCE by hand, z clamped to [-10, 10]:
    y e^(-z) - (1 - y) ln(1 - exp(-e^(-z)))."""
    z = max(-10., min(10., z))
    return y * math.exp(-z) - (1 - y) * math.log(1 - math.exp(-math.exp(-z)))


def test_hand_formula_is_the_bce_of_the_gumbel_cdf():
    for z in (-3., -0.5, 0., 0.7, 4.):
        p = math.exp(-math.exp(-z))  # Gumbel CDF
        for y in (0., 1.):
            assert _bce(z, y) == pytest.approx(-y * math.log(p) -
                                               (1 - y) * math.log(1 - p))


def _loss(**kwargs):
    return GumbelDropLoss(image_counts=COUNTS, num_images=NUM_IMAGES, **kwargs)


def test_gumbel_bce_values_and_clamp():
    z = torch.tensor([-12., -3., -0.5, 0., 0.7, 4., 15.], dtype=torch.float64)
    for y in (0., 1.):
        out = gumbel_bce(z, torch.full_like(z, y))
        expected = [_bce(v, y) for v in z.tolist()]
        assert torch.allclose(out, torch.tensor(expected, dtype=z.dtype))
    # positives: the loss is e^(-z); at z = 0 it is exactly 1
    assert gumbel_bce(torch.zeros(1), torch.ones(1)).item() == pytest.approx(1)
    # clamping at +-10: same value as at the bound
    assert gumbel_bce(torch.tensor([15.]), torch.zeros(1)).item() == \
        pytest.approx(_bce(10., 0.), rel=1e-5)


def test_gumbel_bce_gradient_matches_formula():
    z = torch.tensor([-3., -0.5, 0.3, 2., 12.],
                     dtype=torch.float64,
                     requires_grad=True)
    y = torch.tensor([1., 0., 1., 0., 0.], dtype=torch.float64)
    gumbel_bce(z, y).sum().backward()
    expected = []
    for v, t in zip(z.tolist(), y.tolist()):
        if abs(v) > 10:  # clamped: no gradient
            expected.append(0.)
            continue
        u = math.exp(-v)
        # d/dz [y u - (1 - y) ln(1 - e^-u)] = -y u + (1 - y) u / (e^u - 1)
        expected.append(-t * u + (1 - t) * u / math.expm1(u))
    assert torch.allclose(z.grad, torch.tensor(expected, dtype=z.dtype))
    zz = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    yy = torch.randint(0, 2, (4, 3)).double()
    assert torch.autograd.gradcheck(lambda t: gumbel_bce(t, yy), (zz, ))


def test_rare_set_and_hooks():
    loss = _loss()
    assert loss.rare_mask.tolist() == [True, False, False]
    assert loss.custom_cls_channels and loss.custom_activation \
        and loss.custom_accuracy
    assert loss.get_cls_channels(3) == 3
    with pytest.raises(ValueError, match='num_classes=5'):
        loss.get_cls_channels(5)
    z = torch.tensor([[0., 1., -2.], [3., -1., 0.5]])
    act = loss.get_activation(z)
    assert act.shape == (2, 4)
    assert torch.all(act[:, -1] == 0)
    assert act[0, 0].item() == pytest.approx(math.exp(-1))
    assert act[1, 2].item() == pytest.approx(math.exp(-math.exp(-0.5)))
    acc = loss.get_accuracy(z, torch.tensor([1, 2]))
    assert set(acc) == {'acc_classes'}
    assert acc['acc_classes'].item() == pytest.approx(50.)  # 1 of 2 right


def test_loss_value_foreground_drop_and_background_ratio_zero():
    # RoI 0: label 1 (fg, not rare) -> negative of rare class 0 dropped.
    # RoI 1: background; ratio = 0 (no fg RoI of a rare class) -> the rare
    # negative is dropped with probability 1 - 0 = 1.
    z = torch.tensor([[0.3, 1.2, -0.4], [-1.0, -2.0, 0.5]], requires_grad=True)
    labels = torch.tensor([1, 3])
    out = _loss()(z, labels, avg_factor=2.)
    roi0 = _bce(1.2, 1) + _bce(-0.4, 0)  # class 0 dropped
    roi1 = _bce(-2.0, 0) + _bce(0.5, 0)  # class 0 dropped
    assert out.item() == pytest.approx((roi0 + roi1) / 2, rel=1e-5)
    out.backward()
    assert z.grad[0, 0] == 0 and z.grad[1, 0] == 0
    assert z.grad[0, 1] < 0 and z.grad[1, 2] > 0


def test_loss_value_ratio_one_keeps_background_negatives():
    # RoI 0: label 0 (rare, positive kept); ratio = 1/1 -> background RoIs
    # never drop (drop probability 1 - 1 = 0).
    z = torch.tensor([[0.3, 1.2, -0.4], [-1.0, -2.0, 0.5]])
    out = _loss()(z, torch.tensor([0, 3]))
    roi0 = _bce(0.3, 1) + _bce(1.2, 0) + _bce(-0.4, 0)
    roi1 = _bce(-1.0, 0) + _bce(-2.0, 0) + _bce(0.5, 0)
    assert out.item() == pytest.approx((roi0 + roi1) / 2, rel=1e-5)
    # label weights and sum reduction
    w = torch.tensor([2., 0.])
    assert _loss()(
        z, torch.tensor([0, 3]), w,
        reduction_override='sum').item() == pytest.approx(
            2 * roi0, rel=1e-5)
    per_roi = _loss(reduction='none')(z, torch.tensor([0, 3]))
    assert per_roi.shape == (2, )
    assert per_roi.tolist() == pytest.approx([roi0, roi1], rel=1e-5)


def test_background_drop_probability_is_one_minus_ratio():
    torch.manual_seed(0)
    loss = _loss()
    # 1 of 4 fg RoIs has a rare GT class -> ratio = 0.25
    labels = torch.tensor([0, 1, 1, 2] + [3] * 20000)
    w = loss.drop_weights(labels)
    assert w[:4].tolist() == [[1, 1, 1], [0, 1, 1], [0, 1, 1], [0, 1, 1]]
    assert torch.all(w[4:, 1:] == 1)  # frequent classes are never dropped
    dropped = 1 - w[4:, 0].mean().item()
    assert dropped == pytest.approx(0.75, abs=0.015)


def test_reads_counts_from_lvis_json(coco_tiny_root):
    ann = str(coco_tiny_root / 'annotations' / 'lvis_v1_tiny_train.json')
    stats = read_lvis_category_stats(ann)
    assert len(stats.cat_ids) == 80 and stats.cat_ids[:3] == (1, 2, 3)
    assert stats.num_annotated_images == 80
    loss = GumbelDropLoss(ann_file=ann, lambda_=0.03)
    assert loss.num_classes == 80 and loss.num_images == 80
    # image_count / 80 < 0.03  <=>  image_count <= 2: the tiny "rare" group
    rare = [f == 'r' for f in stats.frequencies]
    assert loss.rare_mask.tolist() == rare and sum(rare) == 39
    # the LVIS default threshold drops nothing on an 80-image file
    assert not GumbelDropLoss(ann_file=ann).rare_mask.any()


def test_bad_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        GumbelDropLoss()
    with pytest.raises(ValueError, match='num_images'):
        GumbelDropLoss(image_counts=COUNTS)
    with pytest.raises(ValueError, match='num_classes=4'):
        _loss(num_classes=4)
    with pytest.raises(ValueError, match=r'shape \(N, 3\)'):
        _loss()(torch.zeros(2, 4), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r'\[0, 3\]'):
        _loss()(torch.zeros(2, 3), torch.tensor([0, 4]))


def test_in_bbox_head_with_init_cfg():
    head = MODELS.build(
        ConfigDict(
            type='Shared2FCBBoxHead',
            in_channels=8,
            fc_out_channels=16,
            roi_feat_size=2,
            num_classes=3,
            loss_cls=dict(
                type='GumbelDropLoss',
                image_counts=COUNTS,
                num_images=NUM_IMAGES),
            init_cfg=[
                dict(
                    type='Constant',
                    val=0.001,
                    bias=-2.,
                    override=dict(name='fc_cls')),
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
            ]))
    head.init_weights()
    assert head.fc_cls.out_features == 3
    assert torch.all(head.fc_cls.weight == 0.001)
    assert torch.all(head.fc_cls.bias == -2.)
    cls_score, bbox_pred = head(torch.randn(5, 8, 2, 2))
    labels = torch.tensor([0, 2, 3, 3, 3])
    losses = head.loss(cls_score, bbox_pred, torch.zeros(5, 5), labels,
                       torch.ones(5), torch.zeros(5, 4), torch.ones(5, 4))
    assert set(losses) == {'loss_cls', 'acc_classes', 'loss_bbox'}
    losses['loss_cls'].backward()
    assert head.fc_cls.weight.grad is not None
    # initial probability exp(-e^2) ~ 6.2e-4 for every class
    probs = head.loss_cls.get_activation(cls_score.detach())
    assert probs[:, :3].mean().item() == pytest.approx(
        math.exp(-math.exp(2)), rel=0.05)


def test_reading_counts_needs_lvis_categories(tmp_path):
    coco_style = tmp_path / 'coco_style.json'
    coco_style.write_text(
        json.dumps(
            dict(
                images=[dict(id=1)],
                annotations=[dict(id=1, image_id=1, category_id=3)],
                categories=[dict(id=3, name='car')])))
    with pytest.raises(ValueError, match='no "image_count"'):
        GumbelDropLoss(ann_file=str(coco_style))
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(dict(images=[], annotations=[])))
    with pytest.raises(ValueError, match='has no "categories"'):
        GumbelDropLoss(ann_file=str(empty))
    lvis_style = tmp_path / 'lvis_style.json'
    lvis_style.write_text(
        json.dumps(
            dict(
                images=[dict(id=1), dict(id=2),
                        dict(id=3)],
                annotations=[
                    dict(id=1, image_id=1, category_id=7),
                    dict(id=2, image_id=2, category_id=5)
                ],
                categories=[
                    dict(id=7, name='b', image_count=1),
                    dict(id=5, name='a', image_count=1)
                ])))
    stats = read_lvis_category_stats(str(lvis_style))
    # json order is kept (it is the dataset's label order), 2 of the 3
    # images are annotated
    assert stats.cat_ids == (7, 5) and stats.num_annotated_images == 2
    assert GumbelDropLoss(ann_file=str(lvis_style)).frequency.tolist() == \
        pytest.approx([0.5, 0.5])
