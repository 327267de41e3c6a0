# Copyright (c) mmlt contributors. All rights reserved.
"""Every config in configs/ride loads, follows the published recipe (lr per
epoch, DRW epoch, loss constants, augmentation, router stage) and builds a
model that runs a forward pass. (tests/test_configs.py additionally runs a
training step of every config.)"""
import json
import logging
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from .._schedule import epoch_lrs

MMLogger.get_current_instance().setLevel(logging.WARNING)
REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p.name for p in (REPO / 'configs/ride').glob('*.py'))


def load(name):
    return Config.fromfile(str(REPO / 'configs/ride' / name))


def drw_epoch(cfg):
    """The first (1-based) epoch with deferred re-weighting, or None."""
    hooks = cfg.get('custom_hooks', [])
    if not hooks:
        return None
    (hook, ) = hooks
    assert hook.type == 'DeferredReweightingHook'
    assert cfg.model.head.loss.type == 'RIDELoss'
    assert not cfg.model.head.loss.get('reweight', False)
    return hook.start_epoch + 1


def test_exact_user_facing_name():
    cfg = load('ride_r50_imagenetlt.py')
    assert cfg.model.backbone.type == 'ExpertResNet'
    assert cfg.model.backbone.depth == 50
    assert cfg.model.head.num_experts == 3
    assert cfg.model.type == 'ImageClassifier'


@pytest.mark.parametrize('name', CONFIGS)
def test_recipe(name):
    cfg = load(name)
    model = cfg.model
    match = re.match(r'ride-(\d)e', name)
    experts = int(match.group(1)) if match else 3
    assert model.backbone.num_experts == model.head.num_experts == experts
    assert model.head.scale == 30
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'SGD' and opt.momentum == 0.9 and opt.nesterov
    evaluators = [e.type for e in cfg.test_evaluator]
    assert evaluators == ['ShotAccuracy', 'ExpertUsage']
    assert cfg.default_hooks.class_counts.type == 'ClassCountsHook'
    loss = model.head.loss
    size = re.search(r'_(\d+)xb(\d+)-', name)
    gpus, batch = map(int, size.groups()) if size else (8, 32)
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch

    if 'router' in name:
        assert model.type == 'RIDERouterClassifier'
        assert 'teacher' not in model
        assert model.router.num_experts == experts
        assert model.router.loss.pos_weight == 100
        top = 30 if ('r32' in name or 'r10' in name) else 50
        assert model.router.top_choices == top
        assert cfg.train_dataloader.sampler.type == 'ClassBalancedSampler'
        assert (gpus, batch) == (1, 512)
        assert opt.lr == 0.01 and opt.weight_decay == 5e-4
        assert cfg.train_cfg.max_epochs == 5
        assert epoch_lrs(cfg)[0] == pytest.approx(0.01)
        assert cfg.param_scheduler[0].type == 'CosineAnnealingLR'
        assert cfg.param_scheduler[0].T_max == 5
        assert drw_epoch(cfg) is None
        stage1 = re.match(r'work_dirs/(.+)/epoch_\d+\.pth', cfg.load_from)
        assert (REPO / 'configs/ride' / f'{stage1.group(1)}.py').exists()
        return

    distill = 'distill' in name
    assert model.type == ('TeacherStudentClassifier'
                          if distill else 'ImageClassifier')
    assert ('teacher' in model) == distill
    if distill:
        teacher = Path(model.teacher.config)
        assert teacher.is_absolute() and teacher.exists()
        assert teacher.parent == REPO / 'configs/ride'
        assert 'ride-6e' in teacher.name
        assert teacher.stem in model.teacher.checkpoint
        assert loss.distill_temperature == 1.5
        assert loss.distill_factor == 1.0
        assert not loss.get('distill_scale_by_experts', False)

    if 'cifar100lt' in name:
        assert (gpus, batch) == (1, 128)
        imb = int(re.search(r'if(\d+)', name).group(1))
        assert cfg.train_dataloader.dataset.imb_factor == imb
        assert model.backbone.type == 'ExpertResNetCifar'
        assert model.backbone.reduce_dimension and model.head.in_channels \
            == 48
        assert loss.additional_diversity_factor == -0.45
        assert loss.reweight_factor == 0.05
        assert opt.lr == 0.1 and opt.weight_decay == 5e-4
        assert cfg.train_cfg.max_epochs == 200
        assert drw_epoch(cfg) == 161
        rot = [
            t for t in cfg.train_dataloader.dataset.pipeline
            if t.type == 'torchvision/RandomRotation'
        ]
        assert len(rot) == 1 and rot[0].degrees == 15
        lrs = epoch_lrs(cfg)
        warm = 20 if distill else 5
        assert lrs[:warm] == pytest.approx(
            [0.1 * (e + 1) / warm for e in range(warm)])
        assert lrs[159] == pytest.approx(0.1)
        assert lrs[160] == pytest.approx(1e-3)
        assert lrs[179] == pytest.approx(1e-3)
        assert lrs[180] == pytest.approx(1e-5)
    elif 'placeslt' in name:
        assert model.backbone.depth == 152
        assert model.backbone.reduce_dimension is False
        assert model.backbone.init_cfg.type == 'Pretrained'
        assert model.head.num_classes == 365
        assert opt.lr == 0.01 and opt.weight_decay == 4e-4
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone \
            .lr_mult == 0.1
        lrs = epoch_lrs(cfg)
        assert lrs[0] == lrs[9] == pytest.approx(0.01)
        assert lrs[10] == pytest.approx(1e-3)
        assert lrs[20] == pytest.approx(1e-4)
        assert drw_epoch(cfg) == 21
    else:  # ImageNet-LT and iNat 2018
        inat = 'inat2018' in name
        assert cfg.train_cfg.max_epochs == 100
        assert loss.additional_diversity_factor == -0.2
        assert loss.reweight_factor == (0.015 if inat else 0.02)
        assert model.head.num_classes == (8142 if inat else 1000)
        assert opt.weight_decay == 2e-4
        assert opt.lr == pytest.approx(0.1 * gpus * batch / 256)
        assert drw_epoch(cfg) == 81
        lrs = epoch_lrs(cfg)
        assert lrs[:5] == pytest.approx(
            [opt.lr * (e + 1) / 5 for e in range(5)])
        assert lrs[59] == pytest.approx(opt.lr)
        assert lrs[60] == pytest.approx(opt.lr * 0.1)
        assert lrs[80] == pytest.approx(opt.lr * 0.01)
        depth = {'r10': 10, 'r50': 50, 'x50': 50}[re.search(
            r'_(r10|r50|x50)_', name).group(1)] if name != \
            'ride_r50_imagenetlt.py' else 50
        assert model.backbone.depth == depth
        assert model.backbone.reduce_dimension
        assert model.head.in_channels == (384 if depth == 10 else 1536)


def _model_key(cfg):
    model = cfg.model.to_dict()
    for key in ('teacher', 'init_cfg'):
        model.pop(key, None)
    model.get('backbone', {}).pop('init_cfg', None)
    return json.dumps(model, sort_keys=True, default=str)


def _unique_models():
    seen, names = set(), []
    for name in CONFIGS:
        key = _model_key(load(name))
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


@pytest.mark.parametrize('name', _unique_models())
def test_builds_and_runs_forward(name):
    cfg = load(name)
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'].pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    model.eval()
    size = 32 if 'cifar' in name else 64
    with torch.no_grad():
        out = model(torch.randn(1, 3, size, size), mode='tensor')
        preds = model(torch.randn(1, 3, size, size), mode='predict')
    assert out.shape == (1, cfg.model.head.num_classes)
    assert 1 <= preds[0].num_experts_used <= cfg.model.head.num_experts
