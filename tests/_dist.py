# Copyright (c) mmlt contributors. All rights reserved.
"""Run ``tools/dist_train.sh`` with 2 CPU processes from a test."""
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def dist_train(config: str, gpus: int = 2, timeout: int = 900) -> str:
    """Train ``config`` with ``gpus`` CPU processes; returns the log."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONUNBUFFERED='1',
        PORT=free_port())
    env['PATH'] = f'{Path(PY).parent}:{env["PATH"]}'
    proc = subprocess.run(['bash', 'tools/dist_train.sh', config,
                           str(gpus)],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed training is not used' not in out
    return out
