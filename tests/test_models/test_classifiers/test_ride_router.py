# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE stage 2: RIDERouterHead and RIDERouterClassifier (router-only
training, per-sample early exit)."""
import copy
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)


def build_router_model(num_experts=3, num_classes=10, top_choices=5):
    cfg = dict(
        type='RIDERouterClassifier',
        backbone=dict(type='ExpertResNetCifar', num_experts=num_experts),
        head=dict(
            type='MultiExpertClsHead',
            num_classes=num_classes,
            in_channels=48,
            num_experts=num_experts,
            loss=dict(type='RIDELoss', class_counts=[5] * num_classes)),
        router=dict(
            type='RIDERouterHead',
            in_channels=48,
            num_classes=num_classes,
            num_experts=num_experts,
            top_choices=top_choices))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_router_head_steps_match_vectorised_forward():
    model = build_router_model()
    router = model.router
    feats = torch.randn(4, 3, 48)
    logits = torch.randn(4, 3, 10)
    all_steps = router(feats, logits)
    assert all_steps.shape == (4, 2)
    for k in range(2):
        mean = logits[:, :k + 1].mean(1)
        torch.testing.assert_close(
            router.forward_step(feats[:, k], mean, k), all_steps[:, k])
    with pytest.raises(ValueError, match='router step 2 out of range'):
        router.forward_step(feats[:, 0], logits[:, 0], 2)
    with pytest.raises(ValueError, match='num_experts >= 2'):
        MODELS.build(
            dict(
                type='RIDERouterHead',
                in_channels=48,
                num_classes=10,
                num_experts=1))
    with pytest.raises(ValueError, match='top_choices=11'):
        MODELS.build(
            dict(
                type='RIDERouterHead',
                in_channels=48,
                num_classes=10,
                num_experts=3,
                top_choices=11))


def test_router_training_step_changes_only_the_router():
    model = build_router_model()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('router.') for n in trainable)
    model.train()
    bns = [
        m for m in model.backbone.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert bns and not any(m.training for m in bns)
    assert model.router.training
    before = copy.deepcopy(model.state_dict())
    opt = torch.optim.SGD(
        model.parameters(),
        lr=0.5,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)
    x = torch.randn(8, 3, 32, 32)
    samples = [DataSample().set_gt_label(i % 10) for i in range(8)]
    for _ in range(2):
        losses = model(x, samples, mode='loss')
        assert set(losses) == {'loss_router'}
        opt.zero_grad()
        losses['loss_router'].backward()
        opt.step()
    after = model.state_dict()
    for name, value in before.items():
        if name.startswith('router.'):
            assert not torch.equal(value, after[name]), name
        else:  # weights and BN running statistics untouched
            assert torch.equal(value, after[name]), name


def _set_router(model, weight_top1, bias):
    """Router logit = weight_top1 * (largest running-mean logit) + bias."""
    with torch.no_grad():
        model.router.fc.weight.zero_()
        model.router.fc.weight[0, 0] = weight_top1
        model.router.fc.bias.fill_(bias)


def test_early_exit_all_or_nothing():
    model = build_router_model()
    model.eval()
    x = torch.randn(6, 3, 32, 32)
    with torch.no_grad():
        expert_logits = model.head.forward_experts(model.extract_feat(x))
    _set_router(model, 0., -50.)
    preds = model(x, mode='predict')
    assert [p.num_experts_used for p in preds] == [1] * 6
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]),
        expert_logits[:, 0].softmax(-1),
        rtol=1e-4,
        atol=1e-6)
    _set_router(model, 0., 50.)
    preds = model(x, mode='predict')
    assert [p.num_experts_used for p in preds] == [3] * 6
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]),
        expert_logits.mean(1).softmax(-1),
        rtol=1e-4,
        atol=1e-6)
    model.use_router = False
    assert [p.num_experts_used for p in model(x, mode='predict')] == [3] * 6


def test_early_exit_per_sample():
    """Decisions taken per sample from the running mean of the experts it
    used; a stopped sample never resumes; prediction = mean of used."""
    model = build_router_model()
    model.eval()
    x = torch.randn(16, 3, 32, 32)
    with torch.no_grad():
        expert_logits = model.head.forward_experts(model.extract_feat(x))
    first_top1 = expert_logits[:, 0].max(-1).values.sort().values
    threshold = float(first_top1[7:9].mean())  # between two samples
    _set_router(model, -1., threshold)  # go on iff top-1 < threshold
    preds = model(x, mode='predict')
    for i, pred in enumerate(preds):
        used = 1
        while used < 3:
            top1 = float(expert_logits[i, :used].mean(0).max())
            if not -top1 + threshold > 0:
                break
            used += 1
        assert pred.num_experts_used == used, i
        torch.testing.assert_close(
            pred.pred_score,
            expert_logits[i, :used].mean(0).softmax(-1),
            rtol=1e-4,
            atol=1e-6)
    counts = [p.num_experts_used for p in preds]
    assert 1 in counts and max(counts) > 1
