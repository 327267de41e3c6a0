# Copyright (c) mmlt contributors. All rights reserved.
"""P²OT trained with 2 CPU processes through tools/dist_train.sh: every
rank holds the same logits bank (filled from both ranks' batches), the same
warm start and the same pseudo-labels after every iteration."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
P2OT = 'configs/p2ot/p2ot_r32_1xb512-50e_cifar10lt-if100.py'


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_dist_train_bank_and_solver_agree(tiny_p2ot_cfg, tmp_path):
    # 40 images, 5 per rank and batch: 4 iterations per epoch; the bank of
    # 20 rows is filled at epoch 1 from 2 global batches
    cfg = tiny_p2ot_cfg(P2OT, tmp_path, epochs=2, batch_size=5, bank_size=20)
    cfg.custom_imports = dict(
        imports=['mmlt', 'tests.test_p2ot.ddp_probe'],
        allow_failed_imports=False)
    cfg.custom_hooks.append(dict(type='DDPAgreementProbe'))
    config = str(tmp_path / 'p2ot_ddp.py')
    cfg.dump(config)
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONUNBUFFERED='1',
        PORT=_free_port())
    env['PATH'] = f'{Path(PY).parent}:{env["PATH"]}'
    proc = subprocess.run(['bash', 'tools/dist_train.sh', config, '2'],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed training is not used' not in out
    assert 'LogitsBankHook: filled the logits bank(s) of [20] rows from 2 ' \
        'training batches at epoch 1' in out
    # rank 0 logs through the runner; both ranks run the probe
    probes = re.findall(
        r'DDP probe rank 0: iter (\d+) agree, bank full '
        r'(\w+), batch of all ranks \[([0-9, ]+)\]', out)
    assert len(probes) == 8, out[-3000:]
    assert [p[1] for p in probes] == ['False'] * 4 + ['True'] * 4
    assert all(len(p[2].split(',')) == 10 for p in probes)
    assert re.search(r'Epoch\(train\)\s+\[2\]\[4/4\].*loss_cluster', out)
    assert re.search(r'Epoch\(val\).*cluster/mean_acc', out)
