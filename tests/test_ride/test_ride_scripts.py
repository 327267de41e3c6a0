# Copyright (c) mmlt contributors. All rights reserved.
"""Smoke runs of benchmarks/ride_throughput.py and tools/ride_compare.py
(the real runs and their numbers are in configs/ride/README.md)."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _run(cmd):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def test_throughput_benchmark_smoke(tmp_path):
    out = _run([PY, 'benchmarks/ride_throughput.py', '--batch-size', '8',
                '--repeats', '1', '--warmup', '0', '--contenders', 'ride',
                'ce', '--expert-usage', '0.5,0.25,0.25', '--json',
                str(tmp_path / 'r.json')])
    assert 'median img/s' in out
    res = json.loads((tmp_path / 'r.json').read_text())
    assert set(res['throughput']) == {'ride', 'ce'}
    flops = res['gflops']
    per_k = flops['ride3_k_experts_with_router']
    assert per_k[0] < per_k[1] < per_k[2]
    assert flops['ce_r32'] < flops['ride3_all_experts_no_router']
    assert per_k[0] < flops['ride3_routed'] < per_k[2]


def test_compare_script_smoke(cifar10_jpg_root, tmp_path):
    out = _run([PY, 'tools/ride_compare.py', '--epochs', '1', '--subset',
                '300', '--num-workers', '0', '--methods', 'CE', 'RIDE-3',
                'RIDE-3+router', '--many-thr', '1500', '--few-thr', '200',
                '--cache-dir', str(Path(cifar10_jpg_root).parent),
                '--work-dir', str(tmp_path)])
    assert 'SMOKE RUN' in out
    assert 'many > 1500, few < 200' in out
    assert 'method' in out and 'overall' in out and 'RIDE-3 vs CE' in out
    res = json.loads((tmp_path / 'cifar10lt_seed0.json').read_text())
    assert set(res['results']) == {'CE', 'RIDE-3', 'RIDE-3+router'}
    ride, routed = res['results']['RIDE-3'], res['results']['RIDE-3+router']
    assert ride['experts_avg'] == 3.0
    assert 1.0 <= routed['experts_avg'] <= 3.0
    assert routed['experts_gflops'] <= routed['experts_gflops_all'] + 1e-9
    assert abs(routed['experts_gflops_all'] - ride['experts_gflops']) < 1e-6
    assert 'experts_avg' not in res['results']['CE']


def test_compare_router_needs_stage1(cifar10_jpg_root, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [PY, 'tools/ride_compare.py', '--epochs', '1', '--subset', '100',
         '--methods', 'RIDE-3+router', '--cache-dir',
         str(Path(cifar10_jpg_root).parent), '--work-dir', str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert 'RIDE-3/epoch_1.pth not found' in proc.stderr + proc.stdout
