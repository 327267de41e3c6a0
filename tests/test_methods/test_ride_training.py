# Copyright (c) mmlt contributors. All rights reserved.
"""2-iteration CPU training runs of every RIDE config family on the shipped
CIFAR-10-LT demo set (32x32 images, 10 classes), plus tools/test.py on a
router model."""
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import mmlt  # noqa: F401
from .._demo import DEMO_COUNTS

# 2 train images per class: every class is "few", the other groups are NaN
pytestmark = pytest.mark.filterwarnings(
    'ignore:ShotAccuracy. no test class:UserWarning')
REPO = Path(__file__).resolve().parents[2]
CIFAR = 'configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py'
CIFAR_DISTILL = \
    'configs/ride/ride-3e-distill_r32_1xb128-200e_cifar100lt-if100.py'
CIFAR_ROUTER = 'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py'


def _quiet():
    MMLogger.get_current_instance().setLevel(logging.WARNING)


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    _quiet()
    return runner, metrics


def _last_losses(work_dir):
    logs = sorted(Path(work_dir).rglob('*.log'))
    text = logs[-1].read_text()
    found = re.findall(r'Epoch\(train\).*', text)
    assert found, text[-2000:]
    return found[-1]


def test_cifar_stage1_drw_distill_and_router(tiny_cfg, tmp_path):
    # stage 1: two iterations, DRW switched on for the second
    cfg = tiny_cfg(CIFAR, tmp_path / 'stage1')
    runner, metrics = _train(cfg)
    loss = runner.model.head.loss_module
    assert loss.reweight and loss.class_counts.tolist() == [2] * 10
    assert loss.temperature is not None and loss.ldam.weight is not None
    line = _last_losses(tmp_path / 'stage1')
    assert 'loss_ind' in line and 'loss_div' in line
    assert metrics['experts/avg'] == 3.0 and metrics['experts/frac_3'] == 1
    assert 0 <= metrics['lt/top1'] <= 100
    stage1_ckpt = tmp_path / 'stage1' / 'epoch_2.pth'
    assert stage1_ckpt.exists()

    # self-distillation from the stage-1 model as (tiny) teacher
    teacher_cfg = tmp_path / 'teacher.py'
    cfg.dump(str(teacher_cfg))
    cfg = tiny_cfg(CIFAR_DISTILL, tmp_path / 'distill')
    cfg.model.teacher.config = str(teacher_cfg)
    cfg.model.teacher.checkpoint = str(stage1_ckpt)
    runner, metrics = _train(cfg)
    assert 'loss_distill' in _last_losses(tmp_path / 'distill')
    teacher = runner.model.teacher.model
    saved = torch.load(stage1_ckpt, map_location='cpu')['state_dict']
    for name, value in teacher.state_dict().items():
        assert torch.equal(value, saved[name]), name
    ckpt = torch.load(tmp_path / 'distill' / 'epoch_2.pth', map_location='cpu')
    assert not any('teacher' in k for k in ckpt['state_dict'])

    # stage 2: router on the stage-1 weights; only the router changes
    cfg = tiny_cfg(CIFAR_ROUTER, tmp_path / 'router')
    cfg.load_from = str(stage1_ckpt)
    runner, metrics = _train(cfg)
    assert 'loss_router' in _last_losses(tmp_path / 'router')
    state = runner.model.state_dict()
    for name, value in saved.items():
        assert torch.equal(state[name], value), name
    assert 1 <= metrics['experts/avg'] <= 3
    assert sum(metrics[f'experts/frac_{k}'] for k in (1, 2, 3)) == \
        pytest.approx(1)
    sampler = runner.train_dataloader.sampler
    assert type(sampler).__name__ == 'ClassBalancedSampler'

    # tools/test.py reports the experts used next to accuracy
    cfg_path = tmp_path / 'router.py'
    cfg.dump(str(cfg_path))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = subprocess.run([
        sys.executable, 'tools/test.py',
        str(cfg_path),
        str(tmp_path / 'router' / 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'test')
    ],
                         cwd=REPO,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=600)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    line = re.findall(r'Epoch\(test\).*', text)[-1]
    for key in ('lt/top1', 'lt/few', 'experts/avg', 'experts/frac_1'):
        assert key in line, line


@pytest.mark.parametrize('path', [
    'configs/ride/ride-3e_r10_4xb64-100e_imagenetlt.py',
    'configs/ride/ride_r50_imagenetlt.py',
    'configs/ride/ride-3e_x50_8xb32-100e_imagenetlt.py',
    'configs/ride/ride-3e_r50_8xb64-100e_inat2018.py',
    'configs/ride/ride-3e_r152_4xb32-30e_placeslt.py',
    'configs/ride/ride-4e-distill-router_x50_1xb512-5e_imagenetlt.py',
])
def test_large_scale_families_train_two_iterations(tiny_cfg, tmp_path, path):
    cfg = tiny_cfg(path, tmp_path, save_checkpoints=False)
    if cfg.model.type == 'RIDERouterClassifier':
        cfg.load_from = None  # no stage-1 run here: random experts
    runner, metrics = _train(cfg)
    line = _last_losses(tmp_path)
    key = 'loss_router' if 'router' in path else 'loss_div'
    assert key in line
    values = [float(v) for v in re.findall(r'loss\w*: (-?[\d.]+)', line)]
    assert values and all(abs(v) < 1e4 for v in values)
    assert 'experts/avg' in metrics and 'lt/top1' in metrics
    counts = runner.model.head.loss_module.class_counts
    assert counts.tolist() == [2] * 10
    assert DEMO_COUNTS[0] == 500  # the demo set is long-tailed
