# Copyright (c) mmlt contributors. All rights reserved.
"""Smoke test of ``benchmarks/apa_cifar10lt_compare.py`` on real CIFAR-10
images (a tiny long-tailed subset, one epoch per arm)."""
import importlib.util
import json
import os
from pathlib import Path

import pytest
import torch

from mmlt.models.layers import set_apa_compile

REPO = Path(__file__).resolve().parents[2]
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')


def _load_script():
    path = REPO / 'benchmarks' / 'apa_cifar10lt_compare.py'
    spec = importlib.util.spec_from_file_location('apa_compare', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny_cifar10(cifar10_jpg_root, tmp_path):
    """40 train / 10 test real images per class, linked from the tree."""
    for split, num in (('train', 40), ('test', 10)):
        for name in CLASSES:
            src = cifar10_jpg_root / split / name
            dst = tmp_path / 'cifar10' / split / name
            dst.mkdir(parents=True)
            for f in sorted(os.listdir(src))[:num]:
                (dst / f).symlink_to(src / f)
    return tmp_path / 'cifar10'


def test_compare_script_smoke(tiny_cifar10, tmp_path, capsys):
    script = _load_script()
    assert set(script.ARMS) == {
        'relu_linear', 'relu_cosine_iif', 'aglu_apa-se_cosine_iif'
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    set_apa_compile(False)
    try:
        results = script.main([
            '--data-root',
            str(tiny_cifar10), '--epochs', '2', '--imb-factor', '10',
            '--many-thr', '25', '--few-thr', '8', '--batch-size', '32',
            '--num-workers', '0', '--seed', '3', '--work-dir',
            str(tmp_path / 'work')
        ])
    finally:
        set_apa_compile(True)
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert 'seed 3' in out and 'last epoch' in out
    assert '| aglu_apa-se_cosine_iif |' in out
    for arm, r in results.items():
        for key in ('top1', 'many', 'medium', 'few'):
            assert 0 <= r[key] <= 100, (arm, key, r)
    saved = json.loads((tmp_path / 'work' / 'results.json').read_text())
    assert saved['args']['seed'] == 3 and set(saved['results']) == set(results)
