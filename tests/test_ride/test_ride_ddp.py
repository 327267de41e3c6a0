# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE stage 1 (with the DRW switch) and the router stage trained with 2
CPU processes through tools/dist_train.sh."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def _dist_train(config, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PORT=_free_port())
    env['PATH'] = f'{Path(PY).parent}:{env["PATH"]}'
    proc = subprocess.run(['bash', 'tools/dist_train.sh', config, '2'],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed training is not used' not in out
    return out


def test_dist_train_stage1_and_router(tiny_cfg, tmp_path):
    # 40 train images, batch 10 per rank: 2 iterations per rank and epoch
    cfg = tiny_cfg('configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
                   tmp_path / 'stage1', per_class=4)
    cfg.train_dataloader.batch_size = 10
    config = str(tmp_path / 'stage1.py')
    cfg.dump(config)
    out = _dist_train(config, tmp_path)
    assert re.search(r'Epoch\(train\)\s+\[2\]\[2/2\].*loss_ind', out), \
        out[-3000:]
    assert 'Switch loss at epoch 2' in out
    assert re.search(r'Epoch\(val\).*experts/avg: 3\.0', out), out[-3000:]
    stage1 = tmp_path / 'stage1' / 'epoch_2.pth'
    assert stage1.exists()

    cfg = tiny_cfg(
        'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py',
        tmp_path / 'router', per_class=4, epochs=1)
    cfg.train_dataloader.batch_size = 10
    cfg.load_from = str(stage1)
    config = str(tmp_path / 'router.py')
    cfg.dump(config)
    out = _dist_train(config, tmp_path)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\].*loss_router', out), \
        out[-3000:]
    assert re.search(r'Epoch\(val\).*experts/gflops', out), out[-3000:]
    before = torch.load(stage1, map_location='cpu')['state_dict']
    after = torch.load(tmp_path / 'router' / 'epoch_1.pth',
                       map_location='cpu')['state_dict']
    for name, value in before.items():
        assert torch.equal(after[name], value), name
    assert any(k.startswith('router.') for k in after)
