# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE stage 2: router targets and loss by hand, router-only training,
per-sample early exit, expert usage and FLOPs."""
import copy
import logging
import math

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.evaluation.metrics import ExpertUsage
from mmlt.models.losses import RIDERouterLoss, ride_router_targets
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)

# running sums of the expert logits (label 0 everywhere); expert k's logits
# are the differences. correct_k = argmax(running sum up to k) == 0.
RUNNING = torch.tensor([
    [[3., 1, 0], [3, 4, 0], [3, 4, 5]],  # T F F -> targets 0 0
    [[1., 3, 0], [5, 3, 0], [5, 3, 9]],  # F T F -> 1 0
    [[0., 2, 0], [1, 3, 0], [6, 3, 0]],  # F F T -> 1 1
    [[0., 2, 0], [0, 4, 1], [0, 5, 1]],  # F F F -> 0 0
    [[0., 0, 2], [4, 0, 2], [4, 0, 9]],  # F T F -> 1 0
    [[3., 0, 1], [3, 5, 1], [8, 5, 1]],  # T F T -> 0 1
])
EXPERT_LOGITS = torch.diff(RUNNING, dim=1, prepend=torch.zeros(6, 1, 3))
LABELS = torch.zeros(6, dtype=torch.long)
TARGETS = [[0, 0], [1, 0], [1, 1], [0, 0], [1, 0], [0, 1]]


def test_router_targets_on_hand_made_batch():
    targets = ride_router_targets(EXPERT_LOGITS, LABELS)
    assert targets.tolist() == TARGETS
    # the targets depend on the running mean, not on single experts
    assert ride_router_targets(EXPERT_LOGITS * 2, LABELS).tolist() == TARGETS


def test_router_loss_by_hand():
    router_logits = torch.tensor([[0.5, -1.], [2., 0.], [-0.3, 1.5],
                                  [0., 0.], [1., -2.], [-1., 0.7]])
    loss = RIDERouterLoss(pos_weight=100.)(router_logits, EXPERT_LOGITS,
                                           LABELS)
    total = 0.
    for i in range(6):
        for k in range(2):
            r, t = float(router_logits[i, k]), TARGETS[i][k]
            sig = 1 / (1 + math.exp(-r))
            total += -(100. * t * math.log(sig) + (1 - t) * math.log(1 - sig))
    assert loss.item() == pytest.approx(total / 12, rel=1e-5)
    with pytest.raises(ValueError,
                       match=r'router_logits must be \(N, K - 1\)'):
        RIDERouterLoss()(router_logits[:, :1], EXPERT_LOGITS, LABELS)
    with pytest.raises(ValueError, match='pos_weight must be positive'):
        RIDERouterLoss(pos_weight=0)


def build_router_model(num_experts=3, num_classes=10, top_choices=5):
    cfg = dict(
        type='RIDERouterClassifier',
        backbone=dict(type='ExpertResNetCifar', num_experts=num_experts),
        head=dict(type='RIDEHead', num_classes=num_classes, in_channels=48,
                  num_experts=num_experts,
                  loss=dict(type='RIDELoss', class_counts=[5] *
                            num_classes)),
        router=dict(type='RIDERouterHead', in_channels=48,
                    num_classes=num_classes, num_experts=num_experts,
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
        torch.testing.assert_close(router.forward_step(feats[:, k], mean, k),
                                   all_steps[:, k])
    with pytest.raises(ValueError, match='router step 2 out of range'):
        router.forward_step(feats[:, 0], logits[:, 0], 2)
    with pytest.raises(ValueError, match='num_experts >= 2'):
        MODELS.build(dict(type='RIDERouterHead', in_channels=48,
                          num_classes=10, num_experts=1))
    with pytest.raises(ValueError, match='top_choices=11'):
        MODELS.build(dict(type='RIDERouterHead', in_channels=48,
                          num_classes=10, num_experts=3, top_choices=11))


def test_router_training_step_changes_only_the_router():
    model = build_router_model()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('router.') for n in trainable)
    model.train()
    bns = [m for m in model.backbone.modules()
           if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    assert model.router.training
    before = copy.deepcopy(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9,
                          weight_decay=5e-4, nesterov=True)
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
        expert_logits[:, 0].softmax(-1), rtol=1e-4, atol=1e-6)
    _set_router(model, 0., 50.)
    preds = model(x, mode='predict')
    assert [p.num_experts_used for p in preds] == [3] * 6
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]),
        expert_logits.mean(1).softmax(-1), rtol=1e-4, atol=1e-6)
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
            pred.pred_score, expert_logits[i, :used].mean(0).softmax(-1),
            rtol=1e-4, atol=1e-6)
    counts = [p.num_experts_used for p in preds]
    assert 1 in counts and max(counts) > 1


def test_expert_flops():
    model = build_router_model()
    plain = model.expert_flops((3, 32, 32), with_router=False)
    routed = model.expert_flops((3, 32, 32))
    assert len(plain) == 3
    per_expert = plain[1] - plain[0]
    assert plain[2] - plain[1] == pytest.approx(per_expert)
    # conv multiply-adds of one reduced expert (layer2 24 ch at 16x16,
    # layer3 48 ch at 8x8) plus its 48x10 classifier, by hand
    convs = (16 * 24 * 9 + 24 * 24 * 9 + 8 * 24 * 24 * 9) * 256 + \
        (24 * 48 * 9 + 48 * 48 * 9 + 8 * 48 * 48 * 9) * 64
    assert convs + 480 <= per_expert <= 1.01 * (convs + 480)
    # all experts == the fused grouped model traced as a whole
    grouped = copy.deepcopy(model)
    grouped.backbone.expert_mode = 'grouped'
    grouped.eval()
    analyzer = FlopAnalyzer(grouped, torch.zeros(1, 3, 32, 32))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    assert analyzer.total() == pytest.approx(plain[2], rel=2e-3)
    step = 48 * 16 + (16 + 5)
    assert [r - p for r, p in zip(routed, plain)] == \
        pytest.approx([step, 2 * step, 2 * step])


def test_expert_usage_metric():
    metric = ExpertUsage()
    metric.set_expert_flops([1e9, 2e9, 3e9])
    metric.process(None, [dict(num_experts_used=k) for k in (1, 1, 2, 3)])
    out = metric.compute_metrics(metric.results)
    assert out == pytest.approx(dict(avg=1.75, frac_1=0.5, frac_2=0.25,
                                     frac_3=0.25, gflops=1.75,
                                     gflops_all=3.0))
    with pytest.raises(KeyError, match='num_experts_used'):
        metric.process(None, [dict(pred_label=1)])
    with pytest.raises(ValueError, match=r'outside \[1, 3\]'):
        metric.compute_metrics([4])
    no_flops = ExpertUsage()
    assert no_flops.compute_metrics([2, 2]) == dict(avg=2.0, frac_1=0.,
                                                    frac_2=1.)
