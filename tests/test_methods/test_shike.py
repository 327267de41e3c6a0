# Copyright (c) mmlt contributors. All rights reserved.
"""SHIKE end to end on the shipped CIFAR-10-LT demo set (real images): the
stage-2 switch (what is frozen, what keeps training, the LR restart),
resuming across the switch, and 2-process CPU DDP across the switch."""
import re

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import mmlt  # noqa: F401
from .._dist import dist_train

CIFAR = 'configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py'
pytestmark = pytest.mark.filterwarnings(
    'ignore:ShotAccuracy. no test class:UserWarning')


def _cfg(tiny_cfg, work_dir, epochs, switch, **kwargs):
    cfg = tiny_cfg(CIFAR, work_dir, epochs=epochs, **kwargs)
    (hook, ) = cfg.custom_hooks
    hook.start_epoch = switch
    # stage 2 restarts from the initial lr: 0.25x it in its first epoch
    cfg.param_scheduler = [
        dict(
            type='LinearLR',
            start_factor=0.25,
            end_factor=2 / 3,
            by_epoch=True,
            begin=switch,
            end=switch + 6)
    ]
    return cfg


def _load(path):
    return torch.load(path, map_location='cpu')['state_dict']


def _run(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    MMLogger.get_current_instance().setLevel('WARNING')
    return runner


def test_stage_switch_freezes_and_resumes(tiny_cfg, tmp_path):
    # stage 1 for 2 epochs, then stop: the checkpoint is taken at the switch
    first = _run(_cfg(tiny_cfg, tmp_path, epochs=2, switch=2))
    assert first.model.head._stage == 1
    lr = first.optim_wrapper.optimizer.param_groups[0]['lr']
    assert lr == pytest.approx(0.15 * 0.25)  # restarted for stage 2
    before = _load(tmp_path / 'epoch_2.pth')
    # resume: the third epoch is stage 2
    cfg = _cfg(tiny_cfg, tmp_path, epochs=3, switch=2)
    cfg.resume = True
    runner = _run(cfg)
    assert runner.model.head._stage == 2
    after = _load(tmp_path / 'epoch_3.pth')
    assert int(after['head.stage']) == 2
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed, 'nothing trained in stage 2'
    for key in changed:  # only the new classifiers and BN statistics
        assert key.startswith('head.rt_classifiers') or key.endswith(
            ('running_mean', 'running_var', 'num_batches_tracked',
             'stage')), key
    assert any(k.startswith('head.rt_classifiers') for k in changed)
    assert any(k.endswith('running_mean') for k in changed)  # BN updates
    text = sorted(tmp_path.rglob('*.log'))[-1].read_text()
    assert re.search(r'Epoch\(train\)\s+\[3\].*loss_stage2', text)


def test_dist_train_across_the_switch(tiny_cfg, tmp_path):
    # 40 train images, batch 10 per rank: 2 iterations per rank and epoch
    cfg = _cfg(tiny_cfg, tmp_path / 'work', epochs=2, switch=1, per_class=4)
    cfg.train_dataloader.batch_size = 10
    config = str(tmp_path / 'shike.py')
    cfg.dump(config)
    out = dist_train(config)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\].*loss_hns', out), \
        out[-3000:]
    assert re.search(r'Epoch\(train\)\s+\[2\]\[2/2\].*loss_stage2', out), \
        out[-3000:]
