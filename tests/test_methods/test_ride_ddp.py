# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE stage 1 (with the DRW switch) and the router stage trained with 2
CPU processes through tools/dist_train.sh."""
import re

import torch

from .._dist import dist_train


def test_dist_train_stage1_and_router(tiny_cfg, tmp_path):
    # 40 train images, batch 10 per rank: 2 iterations per rank and epoch
    cfg = tiny_cfg(
        'configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
        tmp_path / 'stage1',
        per_class=4)
    cfg.train_dataloader.batch_size = 10
    config = str(tmp_path / 'stage1.py')
    cfg.dump(config)
    out = dist_train(config)
    assert re.search(r'Epoch\(train\)\s+\[2\]\[2/2\].*loss_ind', out), \
        out[-3000:]
    assert 'class re-weighting on at epoch 2' in out
    assert re.search(r'Epoch\(val\).*experts/avg: 3\.0', out), out[-3000:]
    stage1 = tmp_path / 'stage1' / 'epoch_2.pth'
    assert stage1.exists()

    cfg = tiny_cfg(
        'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py',
        tmp_path / 'router',
        per_class=4,
        epochs=1)
    cfg.train_dataloader.batch_size = 10
    cfg.load_from = str(stage1)
    config = str(tmp_path / 'router.py')
    cfg.dump(config)
    out = dist_train(config)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\].*loss_router', out), \
        out[-3000:]
    assert re.search(r'Epoch\(val\).*experts/frac_1', out), out[-3000:]
    before = torch.load(stage1, map_location='cpu')['state_dict']
    after = torch.load(
        tmp_path / 'router' / 'epoch_1.pth', map_location='cpu')['state_dict']
    for name, value in before.items():
        assert torch.equal(after[name], value), name
    assert any(k.startswith('router.') for k in after)
