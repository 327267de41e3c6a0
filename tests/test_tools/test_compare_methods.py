# Copyright (c) mmlt contributors. All rights reserved.
"""tools/compare_methods.py: the common recipe and augmentation it applies,
and a smoke run on real CIFAR-10-LT images (the real runs and their numbers
are in the README)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _tool():
    spec = importlib.util.spec_from_file_location(
        'compare_methods', REPO / 'tools' / 'compare_methods.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(tool, tmp_path, *extra):
    return tool.parse_args(['--work-dir', str(tmp_path), *extra])


def test_common_recipe_and_augmentation(tmp_path):
    import mmlt  # noqa: F401
    tool = _tool()
    args = _args(tool, tmp_path, '--epochs', '20')
    methods = tool.resolve_methods(['CE', 'RIDE-3', 'APA'])
    cfgs = {
        name: tool.build_cfg(name, config, stage1, args, 'root')
        for name, (config, stage1) in methods.items()
    }
    for name, cfg in cfgs.items():
        assert cfg.optim_wrapper.optimizer == dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
            nesterov=True), name
        assert [s['type']
                for s in cfg.param_scheduler] == ['LinearLR',
                                                  'MultiStepLR'], name
        assert cfg.param_scheduler[1].milestones == [16, 18]
        assert cfg.train_cfg.max_epochs == 20
        assert cfg.train_dataloader.batch_size == 128
        assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] \
            == ['RandomCrop', 'RandomFlip', 'PackInputs'], name
        assert cfg.model.head.num_classes == 10
    # DRW at 80% of the run, as RIDE's 160 of 200 epochs
    assert cfgs['RIDE-3'].custom_hooks == [
        dict(type='DeferredReweightingHook', start_epoch=16)
    ]
    assert not cfgs['CE'].get('custom_hooks')
    # APA keeps its method-specific parameter-wise optimiser settings
    assert 'lambda_param' in cfgs['APA'].optim_wrapper.paramwise_cfg \
        .custom_keys
    own = tool.build_cfg(
        'RIDE-3', *methods['RIDE-3'],
        _args(tool, tmp_path, '--aug', 'own', '--recipe', 'own'), 'root')
    assert own.optim_wrapper.optimizer.weight_decay == 5e-4
    assert 'torchvision/RandomRotation' in [
        t['type'] for t in own.train_dataloader.dataset.pipeline
    ]


def test_common_views_keep_strong_view_operations():
    tool = _tool()
    pipeline = [
        dict(
            type='MultiView',
            num_views=[1, 1],
            transforms=[[
                dict(type='RandomCrop', crop_size=32, padding=4),
                dict(type='NumpyToPIL'),
                dict(type='torchvision/RandomRotation', degrees=15),
                dict(type='PILToNumpy')
            ],
                        [
                            dict(type='RandomCrop', crop_size=32, padding=4),
                            dict(type='AutoAugment', policies='imagenet'),
                            dict(type='Cutout', shape=16)
                        ]]),
        dict(type='PackInputs')
    ]
    views = tool.common_views(pipeline)[0]['transforms']
    assert [t['type'] for t in views[0]] == ['RandomCrop', 'RandomFlip']
    assert [t['type'] for t in views[1]
            ] == ['RandomCrop', 'RandomFlip', 'AutoAugment', 'Cutout']


def test_epoch_settings_scale_to_the_budget(tmp_path):
    """DRW / stage-switch / ramp epochs scale with the budget; a setting of
    at least one epoch never scales to 0 (MDCS's 20-epoch ramp of 400 epochs
    at 10 epochs would be 0.5, which LossWeightRampHook refuses); SHIKE is
    also tested at the end of stage 1."""
    import mmlt  # noqa: F401
    tool = _tool()
    args = _args(tool, tmp_path, '--epochs', '10')
    methods = tool.resolve_methods(['LDAM-DRW', 'MDCS', 'SHIKE'])
    cfgs = {
        name: tool.build_cfg(name, config, stage1, args, 'root')
        for name, (config, stage1) in methods.items()
    }

    def hook(cfg, kind):
        return [h for h in cfg.custom_hooks if h['type'] == kind][0]

    assert hook(cfgs['LDAM-DRW'], 'DeferredReweightingHook').start_epoch == 8
    assert hook(cfgs['MDCS'], 'LossWeightRampHook').ramp_epochs == 1
    assert hook(cfgs['SHIKE'], 'ClassifierRetrainingHook').start_epoch == 9
    assert cfgs['SHIKE'].train_cfg.val_begin == 9
    assert 'val_begin' not in cfgs['LDAM-DRW'].train_cfg


def test_bad_method_names(tmp_path):
    tool = _tool()
    with pytest.raises(SystemExit, match='unknown method'):
        tool.resolve_methods(['RIDE-7'])
    with pytest.raises(SystemExit, match='nope.py not found'):
        tool.resolve_methods(['X=configs/nope.py'])


def _run(cmd):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    return subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def test_compare_smoke_on_real_images(cifar10_jpg_root, tmp_path):
    cache = str(Path(cifar10_jpg_root).parent)
    proc = _run([
        PY, 'tools/compare_methods.py', '--epochs', '1', '--subset', '300',
        '--num-workers', '0', '--methods', 'CE', 'RIDE-3', 'RIDE-3+router',
        '--many-thr', '1500', '--few-thr', '200', '--cache-dir', cache,
        '--work-dir',
        str(tmp_path)
    ])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'SMOKE RUN' in out and 'many > 1500, few < 200' in out
    assert 'recipe common' in out and 'augmentation common' in out
    res = json.loads(
        (tmp_path / 'cifar10lt_1e_subset300_seed0.json').read_text())
    assert set(res['results']) == {'CE', 'RIDE-3', 'RIDE-3+router'}
    ride, routed = res['results']['RIDE-3'], res['results']['RIDE-3+router']
    assert ride['experts_avg'] == 3.0
    assert 1.0 <= routed['experts_avg'] <= 3.0
    assert routed['experts_gflops'] <= routed['experts_gflops_all'] + 1e-9
    assert 'experts_avg' not in res['results']['CE']
    # a stage-2 method needs its stage-1 run
    proc = _run([
        PY, 'tools/compare_methods.py', '--epochs', '2', '--subset', '100',
        '--methods', 'RIDE-3+router', '--cache-dir', cache, '--work-dir',
        str(tmp_path)
    ])
    assert proc.returncode != 0
    assert 'RIDE-3/epoch_2.pth not found' in proc.stdout + proc.stderr
