# Copyright (c) mmlt contributors. All rights reserved.
"""DeiT-LT's teacher in the loop: the frozen CNN sees exactly the student's
Mixup/CutMix-ed batch, resized bicubically to its own size (optionally
re-normalised), and a wrong teacher is a clear error naming its files."""
import logging

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.utils import FrozenTeacher
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)
STUDENT = ('configs/deit_lt/'
           'deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py')
TEACHER10 = ('configs/deit_lt/teachers/'
             'ldam-drw-sam_r32_1xb128-200e_cifar10lt-if100.py')
TEACHER100 = ('configs/deit_lt/teachers/'
              'ldam-drw-sam_r32_1xb128-200e_cifar100lt-if100.py')


class SpyTeacher(nn.Module):
    """Records its inputs; returns fixed logits."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.inputs = []

    def forward(self, inputs, mode='tensor'):
        assert mode == 'tensor'
        self.inputs.append(inputs.clone())
        return torch.arange(
            self.num_classes, dtype=inputs.dtype).expand(inputs.size(0), -1)


def _student(**teacher):
    cfg = Config.fromfile(STUDENT)
    model_cfg = cfg.model.to_dict()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    model_cfg['backbone']['arch'] = dict(
        embed_dims=12, num_layers=1, num_heads=2, feedforward_channels=24)
    model_cfg['head']['in_channels'] = 12
    model_cfg['teacher'].update(checkpoint=None)
    model_cfg['teacher'].update(teacher)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


def _batch(n=4, size=32):
    g = torch.Generator().manual_seed(0)
    return dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), generator=g).to(torch.uint8)
            for _ in range(n)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in range(n)])


def test_teacher_sees_the_mixed_batch_resized_bicubically():
    model = _student(input_size=16)
    assert model.teacher.interpolation == 'bicubic'
    spy = SpyTeacher()
    model.teacher.model = spy  # built: used as is
    seen = {}
    extract_feat = model.extract_feat

    def record(inputs, *args, **kwargs):
        seen['student'] = inputs.clone()
        return extract_feat(inputs, *args, **kwargs)

    model.extract_feat = record
    model.train()
    torch.manual_seed(3)
    data = model.data_preprocessor(_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_dist'}
    (teacher_in, ) = spy.inputs
    assert teacher_in.shape == (4, 3, 16, 16)
    torch.testing.assert_close(
        teacher_in,
        F.interpolate(
            seen['student'],
            size=(16, 16),
            mode='bicubic',
            align_corners=False))
    # the batch was mixed: soft targets, inputs differ from the plain batch
    scores = torch.stack([s.gt_score for s in data['data_samples']])
    assert (scores.max(1).values < 1).any()
    plain = model.data_preprocessor(_batch(), False)['inputs']
    assert not torch.allclose(seen['student'], plain)
    # the teacher's argmax (class 9 for every sample) is the DIST target
    _, z_dist = model.head.forward_branches(
        model.extract_feat(seen['student']))
    torch.testing.assert_close(
        losses['loss_dist'], 0.5 * F.cross_entropy(z_dist, torch.full(
            (4, ), 9)))


def test_teacher_interpolation_and_renormalisation_options():
    x = torch.randn(2, 3, 8, 8)
    model_cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet32Cifar', depth=20),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    bilinear = FrozenTeacher(model_cfg, input_size=4)
    assert bilinear.interpolation == 'bilinear'  # the default stays
    bilinear.model = SpyTeacher()
    bilinear(x)
    torch.testing.assert_close(
        bilinear.model.inputs[0],
        F.interpolate(x, size=(4, 4), mode='bilinear', align_corners=False))
    with pytest.raises(ValueError, match='interpolation'):
        FrozenTeacher(model_cfg, interpolation='lanczos')

    student = dict(mean=[10., 20., 30.], std=[2., 4., 8.])
    teacher = dict(mean=[0., 10., 20.], std=[1., 2., 4.])
    renorm = FrozenTeacher(
        model_cfg, renormalize=teacher, student_norm=student)
    renorm.build()
    renorm.model = SpyTeacher()
    renorm(x)

    def vec(values):
        return torch.tensor(values).view(1, 3, 1, 1)

    raw = x * vec(student['std']) + vec(student['mean'])
    expected = (raw - vec(teacher['mean'])) / vec(teacher['std'])
    torch.testing.assert_close(renorm.model.inputs[0], expected)
    with pytest.raises(ValueError, match='student'):
        FrozenTeacher(model_cfg, renormalize=teacher).build()
    with pytest.raises(ValueError, match='no `data_preprocessor`'):
        FrozenTeacher(model_cfg, renormalize=True, student_norm=student)(x)


def test_renormalise_from_the_teacher_config_file():
    """renormalize=True reads the teacher config's data_preprocessor; the
    student's mean/std come from the classifier's data preprocessor."""
    model = _student(renormalize=True)
    teacher = model.teacher
    student_cfg = Config.fromfile(STUDENT).data_preprocessor
    assert teacher.student_norm == dict(
        mean=pytest.approx(student_cfg.mean),
        std=pytest.approx(student_cfg.std))
    teacher.build()
    t_cfg = Config.fromfile(TEACHER10).data_preprocessor
    scale, shift = teacher._affine
    torch.testing.assert_close(
        scale.flatten(),
        torch.tensor(student_cfg.std) / torch.tensor(t_cfg.std))
    torch.testing.assert_close(
        shift.flatten(),
        (torch.tensor(student_cfg.mean) - torch.tensor(t_cfg.mean)) /
        torch.tensor(t_cfg.std))


def test_wrong_teacher_is_an_error_naming_the_file(tmp_path):
    x = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (1, 2)]
    # a CIFAR-100 teacher for a CIFAR-10 student
    model = _student(config=TEACHER100)
    message = r'cifar100lt-if100.py outputs 100 classes, the student 10'
    with pytest.raises(ValueError, match=message):
        model(x, samples, mode='loss')
    # a missing checkpoint
    model = _student(checkpoint=str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        model(x, samples, mode='loss')
    # a checkpoint of a 100-class teacher for the 10-class teacher config
    torch.manual_seed(0)
    wrong = MODELS.build(Config.fromfile(TEACHER100).model)
    ckpt = tmp_path / 'teacher100.pth'
    torch.save({'state_dict': wrong.state_dict()}, ckpt)
    model = _student(checkpoint=str(ckpt))
    with pytest.raises(RuntimeError, match='teacher100.pth does not fit'):
        model(x, samples, mode='loss')
    # the right one loads and is frozen
    right = MODELS.build(Config.fromfile(TEACHER10).model)
    ckpt = tmp_path / 'teacher10.pth'
    torch.save({'state_dict': right.state_dict()}, ckpt)
    model = _student(checkpoint=str(ckpt))
    model(x, samples, mode='loss')
    assert not model.teacher.model.training
    assert not any(p.requires_grad for p in model.teacher.model.parameters())
