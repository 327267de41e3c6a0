# Copyright (c) mmlt contributors. All rights reserved.
"""RIDEHead (K cosine classifiers) and RIDEClassifier (self-distillation
from a frozen teacher)."""
import logging

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)
COUNTS = [50, 20, 10, 5]


def build_head(num_experts=3):
    return MODELS.build(dict(
        type='RIDEHead', num_classes=4, in_channels=6,
        num_experts=num_experts, scale=30,
        loss=dict(type='RIDELoss', class_counts=COUNTS)))


def test_head_logits_by_hand():
    torch.manual_seed(0)
    head = build_head()
    # initial classifier columns have unit norm, as RIDE's NormedLinear
    torch.testing.assert_close(head.weight.norm(dim=1), torch.ones(3, 4))
    feats = torch.randn(2, 3, 6)
    with torch.no_grad():
        logits = head.forward_experts((feats, ))
    assert logits.shape == (2, 3, 4)
    weight = head.weight.detach()
    for n in range(2):
        for k in range(3):
            f = feats[n, k] / feats[n, k].norm()
            for c in range(4):
                w = weight[k, :, c] / weight[k, :, c].norm()
                assert logits[n, k, c].item() == pytest.approx(
                    30 * float(f @ w), rel=1e-5)
    with torch.no_grad():
        torch.testing.assert_close(head((feats, )), logits.mean(1))
        torch.testing.assert_close(head.expert_logits(feats[:, 1], 1),
                                   logits[:, 1])


def test_head_loss_and_predict():
    torch.manual_seed(0)
    head = build_head()
    feats = torch.randn(4, 3, 6, requires_grad=True)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = head.loss((feats, ), samples)
    assert set(losses) == {'loss_ind', 'loss_div'}
    sum(losses.values()).backward()
    assert feats.grad.abs().sum() > 0 and head.weight.grad.abs().sum() > 0
    preds = head.predict((feats.detach(), ), samples)
    assert all(p.num_experts_used == 3 for p in preds)
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]),
        F.softmax(head((feats.detach(), )), -1))
    with pytest.raises(ValueError, match=r'features \(N, 3, 6\)'):
        head((torch.randn(4, 6), ))
    soft = [DataSample().set_gt_score(torch.full((4, ), .25))
            for _ in range(4)]
    with pytest.raises(ValueError, match='hard labels'):
        head.loss((feats, ), soft)
    with pytest.raises(ValueError, match='num_experts=0 must be positive'):
        build_head(num_experts=0)


STUDENT = 'configs/ride/ride-3e-distill_r32_1xb128-200e_cifar100lt-if100.py'


def _teacher_files(tmp_path):
    """A tiny 2-expert 'teacher' config + checkpoint."""
    cfg = Config.fromfile(
        'configs/ride/ride-6e_r32_1xb128-200e_cifar100lt-if100.py')
    cfg.model.backbone.num_experts = 2
    cfg.model.head.num_experts = 2
    cfg_path = tmp_path / 'teacher.py'
    cfg.dump(str(cfg_path))
    torch.manual_seed(1)
    teacher = MODELS.build(cfg.model)
    ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, ckpt)
    return str(cfg_path), str(ckpt), teacher


def _student(teacher_cfg, teacher_ckpt, **kwargs):
    cfg = Config.fromfile(STUDENT).model
    cfg.update(teacher_config=teacher_cfg, teacher_checkpoint=teacher_ckpt,
               **kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.head.loss_module.set_class_counts(
        [int(500 * 0.01**(c / 99)) for c in range(100)])
    return model


def test_distillation_with_frozen_hidden_teacher(tmp_path):
    cfg_path, ckpt, ref_teacher = _teacher_files(tmp_path)
    model = _student(cfg_path, ckpt)
    model.train()
    x = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (0, 10, 50, 99)]
    losses = model(x, samples, mode='loss')
    assert set(losses) == {'loss_ind', 'loss_div', 'loss_distill'}
    teacher = model._teacher
    # loaded, frozen, eval mode, outside the module tree
    for (n, p), (_, q) in zip(teacher.state_dict().items(),
                              ref_teacher.state_dict().items()):
        assert torch.equal(p, q), n
    assert not any(p.requires_grad for p in teacher.parameters())
    assert not teacher.training
    assert not any(k.startswith('_teacher') or 'teacher' in k
                   for k in model.state_dict())
    assert all(p is not q for p in model.parameters()
               for q in teacher.parameters())
    # loss_distill is T^2 KL(teacher mean || student mean) at T = 1.5
    with torch.no_grad():
        ref_teacher.eval()
        t = ref_teacher(x, mode='tensor')
        s = model(x, mode='tensor')
    kl = F.kl_div(F.log_softmax(s / 1.5, -1), F.softmax(t / 1.5, -1),
                  reduction='batchmean') * 1.5**2
    assert losses['loss_distill'].item() == pytest.approx(kl.item(),
                                                          rel=1e-4)
    sum(losses.values()).backward()
    assert all(p.grad is None for p in teacher.parameters())


def test_distill_scale_by_experts(tmp_path):
    cfg_path, ckpt, _ = _teacher_files(tmp_path)
    x = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (3, 70)]
    plain = _student(cfg_path, ckpt)
    scaled = _student(cfg_path, ckpt, distill_scale_by_experts=True)
    plain.eval()
    scaled.eval()  # BN on running stats: both see the same network
    a = plain(x, samples, mode='loss')
    b = scaled(x, samples, mode='loss')
    for key in a:
        assert b[key].item() == pytest.approx(3 * a[key].item(), rel=1e-5)


def test_teacher_errors(tmp_path):
    cfg_path, ckpt, _ = _teacher_files(tmp_path)
    x = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (3, 70)]
    missing = _student(cfg_path, str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        missing(x, samples, mode='loss')
    with pytest.raises(ValueError, match='teacher_config is None'):
        MODELS.build(dict(Config.fromfile(STUDENT).model, teacher_config=None,
                          teacher_checkpoint=ckpt))
    untrained = _student(cfg_path, None)
    assert 'loss_distill' in untrained(x, samples, mode='loss')
    cfg = Config.fromfile(cfg_path)
    cfg.model.head.num_classes = 10
    cfg.dump(str(tmp_path / 'bad.py'))
    wrong = _student(str(tmp_path / 'bad.py'), None)
    with pytest.raises(ValueError, match='teacher has 10 classes'):
        wrong(x, samples, mode='loss')
