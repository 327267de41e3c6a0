# Copyright (c) mmlt contributors. All rights reserved.
"""TeacherStudentClassifier and FrozenTeacher: RIDE's self-distillation
from a frozen teacher."""
import logging
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.utils import FrozenTeacher
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)
COUNTS = [50, 20, 10, 5]

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


def _student(teacher_cfg, teacher_ckpt, **loss_kwargs):
    cfg = Config.fromfile(STUDENT).model
    cfg.teacher.update(config=teacher_cfg, checkpoint=teacher_ckpt)
    cfg.head.loss.update(loss_kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.head.loss_module.set_class_counts(
        [int(500 * 0.01**(c / 99)) for c in range(100)])
    return model


def test_student_config_resolves_the_teacher_config_by_its_own_path():
    """The teacher config is found relative to the student config file, not
    to the working directory."""
    cfg = Config.fromfile(STUDENT)
    assert osp.isabs(cfg.model.teacher.config)
    assert osp.isfile(cfg.model.teacher.config)


def test_distillation_with_frozen_hidden_teacher(tmp_path):
    cfg_path, ckpt, ref_teacher = _teacher_files(tmp_path)
    model = _student(cfg_path, ckpt)
    model.train()
    x = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (0, 10, 50, 99)]
    losses = model(x, samples, mode='loss')
    assert set(losses) == {'loss_ind', 'loss_div', 'loss_distill'}
    teacher = model.teacher.model
    # loaded, frozen, eval mode, outside the module tree
    for (n, p), (_, q) in zip(teacher.state_dict().items(),
                              ref_teacher.state_dict().items()):
        assert torch.equal(p, q), n
    assert not any(p.requires_grad for p in teacher.parameters())
    assert not teacher.training
    assert not any('teacher' in k for k in model.state_dict())
    assert all(p is not q for p in model.parameters()
               for q in teacher.parameters())
    # loss_distill is T^2 KL(teacher mean || student mean) at T = 1.5
    with torch.no_grad():
        ref_teacher.eval()
        t = ref_teacher(x, mode='tensor')
        s = model(x, mode='tensor')
    kl = F.kl_div(
        F.log_softmax(s / 1.5, -1),
        F.softmax(t / 1.5, -1),
        reduction='batchmean') * 1.5**2
    assert losses['loss_distill'].item() == pytest.approx(kl.item(), rel=1e-4)
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
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _student(cfg_path, str(tmp_path / 'nope.pth'))(x, samples, mode='loss')
    with pytest.raises(FileNotFoundError, match='nope.py'):
        _student(str(tmp_path / 'nope.py'), ckpt)(x, samples, mode='loss')
    untrained = _student(cfg_path, None)
    assert 'loss_distill' in untrained(x, samples, mode='loss')
    cfg = Config.fromfile(cfg_path)
    cfg.model.head.num_classes = 10
    cfg.dump(str(tmp_path / 'bad.py'))
    wrong = _student(str(tmp_path / 'bad.py'), None)
    with pytest.raises(
            ValueError, match=r'bad.py outputs 10 classes, the '
            r'student 100'):
        wrong(x, samples, mode='loss')


def test_frozen_teacher_resizes_inputs_and_maps_labels():
    """The teacher sees the inputs resized to its own size, and its class
    ``i`` becomes the student's class ``label_map[i]``."""
    model_cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet32Cifar', depth=20),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64))
    torch.manual_seed(0)
    teacher = FrozenTeacher(
        model_cfg, input_size=32, label_map=[2, 0, 1], num_classes=3)
    x = torch.randn(2, 3, 48, 48)
    out = teacher(x)
    assert not out.requires_grad and not teacher.model.training
    with torch.no_grad():
        ref = teacher.model(
            F.interpolate(
                x, size=(32, 32), mode='bilinear', align_corners=False),
            mode='tensor')
    for teacher_class, student_class in enumerate([2, 0, 1]):
        torch.testing.assert_close(out[:, student_class], ref[:,
                                                              teacher_class])
    with pytest.raises(ValueError, match='permutation'):
        FrozenTeacher(model_cfg, label_map=[0, 0, 1])
    with pytest.raises(ValueError, match='label_map has 2 entries'):
        FrozenTeacher(model_cfg, label_map=[1, 0])(x)
