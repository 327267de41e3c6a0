# Copyright (c) mmlt contributors. All rights reserved.
"""Smoke run of benchmarks/multi_expert_throughput.py (the real runs and
their numbers are in configs/ride/README.md, configs/mdcs/README.md)."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _run(cmd):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def test_throughput_benchmark_smoke(tmp_path):
    out = _run([
        PY, 'benchmarks/multi_expert_throughput.py', '--batch-size', '4',
        '--repeats', '1', '--warmup', '0', '--contenders', 'ride', 'mdcs',
        'shike', 'ce', '--json',
        str(tmp_path / 'r.json')
    ])
    assert 'median img/s' in out
    res = json.loads((tmp_path / 'r.json').read_text())
    assert set(res['throughput']) == {'ride', 'mdcs', 'shike', 'ce'}
