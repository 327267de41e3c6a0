# Copyright (c) mmlt contributors. All rights reserved.
"""MDCS end to end on the shipped CIFAR-10-LT demo set (real images): two
views through the train pipeline and the preprocessor, the consistency
ramp, the loss terms in the log, 2-process CPU DDP, and the error for a
single-view pipeline."""
import re
from pathlib import Path

import pytest
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import mmlt  # noqa: F401
from .._dist import dist_train

CIFAR = 'configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py'
# 2 train images per class: every class is "few", the other groups are NaN
pytestmark = pytest.mark.filterwarnings(
    'ignore:ShotAccuracy. no test class:UserWarning')


def _last_train_line(work_dir):
    text = sorted(Path(work_dir).rglob('*.log'))[-1].read_text()
    found = re.findall(r'Epoch\(train\).*', text)
    assert found, text[-2000:]
    return found[-1]


def test_two_view_training_on_real_images(tiny_cfg, tmp_path):
    cfg = tiny_cfg(CIFAR, tmp_path, epochs=2, save_checkpoints=False)
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t['type'] for t in pipeline
            ] == ['LoadImageFromFile', 'MultiView', 'PackInputs']
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    MMLogger.get_current_instance().setLevel('WARNING')
    loss = runner.model.head.loss_module
    # ramp 0.6 * min(epoch / 20, 1) at the (1-based) second epoch
    assert loss.cs_weight == pytest.approx(0.06)
    assert loss.class_counts.tolist() == [2] * 10
    line = _last_train_line(tmp_path)
    for key in ('loss_dl', 'loss_cs', 'cs_confident'):
        assert f'{key}: ' in line, line
    assert metrics['experts/avg'] == 3.0
    assert 0 <= metrics['lt/top1'] <= 100


def test_single_view_pipeline_is_a_clear_error(tiny_cfg, tmp_path):
    cfg = tiny_cfg(CIFAR, tmp_path, epochs=1, save_checkpoints=False)
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='PackInputs')
    ]
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match='two views of every image'):
        runner.train()


def test_dist_train_two_processes(tiny_cfg, tmp_path):
    # 40 train images, batch 10 per rank and view: 2 iterations per rank
    cfg = tiny_cfg(CIFAR, tmp_path / 'work', per_class=4, epochs=1)
    cfg.train_dataloader.batch_size = 10
    config = str(tmp_path / 'mdcs.py')
    cfg.dump(config)
    out = dist_train(config)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\].*loss_dl.*loss_cs',
                     out), out[-3000:]
    assert re.search(r'Epoch\(val\).*lt/top1', out), out[-3000:]
