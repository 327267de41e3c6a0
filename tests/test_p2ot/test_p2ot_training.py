# Copyright (c) mmlt contributors. All rights reserved.
"""Short CPU training runs of the ResNet-32 P²OT and SP²OT configs on the
shipped CIFAR-10-LT demo images (real data): rho ramp, logits bank, kNN
graph, pseudo-labels and the clustering metric through the Runner."""
import logging
import math
import re
from pathlib import Path

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.engine.hooks import RhoRampHook

P2OT = 'configs/p2ot/p2ot_r32_1xb512-50e_cifar10lt-if100.py'
SP2OT = 'configs/p2ot/sp2ot_r32_1xb512-50e_cifar10lt-if100.py'


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    return runner, metrics


def _log(work_dir):
    return sorted(Path(work_dir).rglob('*.log'))[-1].read_text()


def test_p2ot_trains_with_bank_from_epoch_one(tiny_p2ot_cfg, tmp_path):
    # 40 images, batch 8: 5 iterations per epoch, bank of 16 rows
    cfg = tiny_p2ot_cfg(P2OT, tmp_path)
    runner, metrics = _train(cfg)
    log = _log(tmp_path)
    assert 'LogitsBankHook: filled the logits bank(s) of [16] rows from 2 ' \
        'training batches at epoch 1' in log
    rhos = [float(r) for r in re.findall(r'\brho: ([0-9.]+)', log)]
    assert len(rhos) == 10 and rhos == sorted(rhos)
    hook = RhoRampHook()
    assert rhos[0] == pytest.approx(hook.rho_at(0, 10), abs=1e-4)
    assert rhos[-1] == pytest.approx(hook.rho_at(9, 10), abs=1e-4)
    assert re.search(r'Epoch\(train\)\s+\[2\]\[5/5\].*loss_cluster', log)
    labeler = runner.model.head.pseudo_labeler
    assert labeler.bank.is_full and torch.isfinite(labeler.log_b).all()
    assert set(labeler.bank.indices.tolist()) <= set(range(40))
    for key in ('mean_acc', 'acc', 'nmi', 'ari', 'f1', 'head', 'medium',
                'tail'):
        assert math.isfinite(metrics[f'cluster/{key}']), metrics
    assert 0 <= metrics['cluster/mean_acc'] <= 100


def test_sp2ot_builds_the_graph_and_trains(tiny_p2ot_cfg, tmp_path):
    cfg = tiny_p2ot_cfg(SP2OT, tmp_path, epochs=1)
    runner, metrics = _train(cfg)
    log = _log(tmp_path)
    assert 'KNNGraphHook: kNN graph over 40 training samples (k=20, ' \
        'sigma=2.0, feature dim 64)' in log
    assert 'at epoch 0' in log  # bank filled before the first epoch
    labeler = runner.model.head.pseudo_labeler
    assert labeler.graph_indices.shape == (40, 20)
    assert labeler.last_n_outer is not None and labeler.last_n_outer >= 1
    assert math.isfinite(metrics['cluster/nmi'])
    # the graph and the bank are in the checkpoint
    ckpt = torch.load(
        tmp_path / 'epoch_1.pth', map_location='cpu',
        weights_only=False)['state_dict']
    assert ckpt['head.pseudo_labeler.graph_indices'].shape == (40, 20)
    assert ckpt['head.pseudo_labeler.bank.num_written'] > 0
