# Copyright (c) mmlt contributors. All rights reserved.
"""PaCo in the shared tools: the ``PaCo`` / ``PaCo-SAM`` presets of
tools/compare_methods.py (common recipe and augmentation on both views) and
a smoke run of benchmarks/paco_throughput.py (the official contenders too
when ``MMLT_PACO_REPO`` names a checkout; the real run is in
configs/paco/README.md)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _compare_tool():
    spec = importlib.util.spec_from_file_location(
        'compare_methods', REPO / 'tools' / 'compare_methods.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_presets(tmp_path):
    import mmlt  # noqa: F401
    tool = _compare_tool()
    args = tool.parse_args(['--work-dir', str(tmp_path), '--epochs', '10'])
    methods = tool.resolve_methods(['PaCo', 'PaCo-SAM'])
    for name, (config, stage1) in methods.items():
        cfg = tool.build_cfg(name, config, stage1, args, 'root')
        assert cfg.model.type == 'PaCo'
        assert cfg.model.head.num_classes == 10
        assert cfg.train_dataloader.batch_size == 128
        assert cfg.optim_wrapper.optimizer.lr == 0.1
        (multi_view, pack) = cfg.train_dataloader.dataset.pipeline
        assert pack['type'] == 'PackInputs'
        query, key = ([t['type'] for t in view]
                      for view in multi_view.transforms)
        # the common crop and flip, the official extra operations kept
        assert query == ['RandomCrop', 'RandomFlip', 'AutoAugment', 'Cutout']
        assert key == [
            'RandomCrop', 'RandomFlip', 'RandomApply', 'RandomGrayscale',
            'GaussianBlur'
        ]
    assert 'SAM' in cfg.optim_wrapper.type  # PaCo-SAM stays SAM


def test_throughput_benchmark_smoke(tmp_path):
    repo = os.environ.get('MMLT_PACO_REPO')
    contenders = ['paco', 'gpaco']
    cmd = [
        sys.executable, 'benchmarks/paco_throughput.py', '--batch-size', '4',
        '--repeats', '1', '--warmup', '0', '--json',
        str(tmp_path / 'r.json')
    ]
    if repo:
        contenders += ['official_paco', 'official_gpaco']
        cmd += ['--paco-repo', repo]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    proc = subprocess.run(
        cmd + ['--contenders'] + contenders,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'median img/s' in out
    res = json.loads((tmp_path / 'r.json').read_text())
    assert set(res['throughput']) == set(contenders)
