# Copyright (c) mmlt contributors. All rights reserved.
"""End to end: a meta config trained on a tiny iNat-format set with 2 CPU
processes (DDP, gloo), and the vision-only config on real Tiny-ImageNet-LT
images."""
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
TINY = dict(conv_dims=(8, 8, 16), attn_dims=(16, 32), depths=(1, 1, 1, 1))
PLACES = [(48.8566, 2.3522, '2018-07-14 10:00:00+00:00'),
          (-33.8688, 151.2093, '2018-01-01 08:00:00+00:00'), (0.0, 32.5, None),
          (None, None, '2018-05-04 18:05:00+00:00')]


def tiny_inat(root: Path, n_train=16, n_val=8, classes=4):
    rng = np.random.RandomState(0)
    for split, n in (('train', n_train), ('val', n_val)):
        images, anns, locs = [], [], []
        for i in range(n):
            image_id = 1000 * (split == 'val') + i
            rel = f'train_val2018/c{i % classes}/{image_id}.jpg'
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.randint(0, 255, (40, 40, 3),
                                        np.uint8)).save(root / rel)
            images.append(dict(id=image_id, file_name=rel))
            anns.append(dict(id=i, image_id=image_id, category_id=i % classes))
            lat, lon, date = PLACES[i % len(PLACES)]
            locs.append(
                dict(
                    id=image_id, lat=lat, lon=lon, date=date, loc_uncert=None))
        (root / f'{split}2018.json').write_text(
            json.dumps(
                dict(
                    images=images,
                    annotations=anns[::-1],
                    categories=[
                        dict(id=c, name=str(c)) for c in range(classes)
                    ])))
        (root / f'{split}2018_locations.json').write_text(json.dumps(locs))


def tiny_meta_cfg(data_root: Path, work_dir: Path, epochs=2):
    cfg = Config.fromfile(
        str(REPO /
            'configs/metafg/metafg-0-meta_8xb32-300e_inat2018-384px.py'))
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.update(arch=TINY, img_size=32, num_heads=2)
    cfg.model.backbone.pop('init_cfg')
    cfg.model.head.update(num_classes=4, in_channels=32, cls1_channels=16)
    cfg.data_preprocessor.num_classes = 4
    train = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=32),
        dict(type='SpatioTemporalMeta'),
        dict(type='PackInputs', algorithm_keys=['meta']),
    ]
    test = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(32, 32)),
        dict(type='SpatioTemporalMeta'),
        dict(type='PackInputs', algorithm_keys=['meta']),
    ]
    for loader, pipeline in ((cfg.train_dataloader, train),
                             (cfg.val_dataloader, test)):
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
        loader.dataset.update(data_root=str(data_root), pipeline=pipeline)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=epochs, val_interval=epochs)
    cfg.param_scheduler = [
        dict(
            type='CosineAnnealingLR',
            T_max=epochs,
            by_epoch=True,
            begin=0,
            end=epochs)
    ]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    if 'class_counts' not in cfg.default_hooks and not any(
            h.type == 'ClassCountsHook' for h in cfg.custom_hooks):
        cfg.default_hooks.class_counts = dict(type='ClassCountsHook')
    return cfg


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_meta_config_ddp_two_processes(tmp_path):
    tiny_inat(tmp_path / 'inat')
    cfg = tiny_meta_cfg(tmp_path / 'inat', tmp_path / 'work')
    config = str(tmp_path / 'metafg_tiny.py')
    cfg.dump(config)
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONUNBUFFERED='1',
        PORT=_free_port(),
        PYTHONPATH=str(REPO))
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
    # 16 images, 4 per rank and batch -> 2 iterations per epoch and rank
    assert re.search(
        r'Epoch\(train\)\s+\[2\]\[2/2\].*meta_mask_prob: '
        r'0\.5000', out), out[-3000:]
    assert re.search(
        r'Epoch\(train\)\s+\[1\]\[2/2\].*meta_mask_prob: '
        r'1\.0000', out), out[-3000:]
    assert 'MetaMaskCurriculumHook: epoch 2/2, meta masked for 0.5000' in out
    assert re.search(r'Epoch\(val\).*lt/top1: [\d.]+.*lt_meta_masked/top1',
                     out), out[-3000:]
    assert 'INaturalist 2018 train: 16 images' in out


def test_vision_config_on_real_tiny_imagenet_lt(tiny_imagenet_lt_root,
                                                tmp_path):
    """MetaFG-0 (the real architecture) at 64 px: one epoch on 20 real
    training images, then the test on 20 real images of 20 classes spread
    over the many / medium / few groups of the full train list."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(
        str(REPO /
            'configs/metafg/metafg-0_1xb128-4e_tinyimagenetlt-if100-sub3-'
            '64px.py'))
    cfg.work_dir = str(tmp_path)
    for loader, indices in ((cfg.train_dataloader, range(0, 21549, 1078)),
                            (cfg.val_dataloader, range(0, 10000, 500))):
        loader.update(batch_size=20, num_workers=0, persistent_workers=False)
        loader.dataset.update(
            data_root=str(tiny_imagenet_lt_root), indices=list(indices))
    cfg.val_evaluator = dict(
        type='ShotAccuracy',
        topk=(1, 5),
        ann_file=str(tiny_imagenet_lt_root / 'train_lt_if100.txt'))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    for key in ('lt/top1', 'lt/many', 'lt/medium', 'lt/few'):
        assert key in metrics and np.isfinite(metrics[key]), metrics
    assert 0 <= metrics['lt/top1'] <= 100


@pytest.mark.parametrize('name', [
    'metafg-0-meta_8xb32-300e_inat2018-384px',
    'metafg-1-text_8xb32-accum2-300e_cub-384px',
    'metafg-1-attribute_8xb32-accum2-300e_cub-'
    '384px'
])
def test_meta_configs_wire_meta_end_to_end(name):
    cfg = Config.fromfile(str(REPO / f'configs/metafg/{name}.py'))
    assert cfg.model.type == 'MetaFGClassifier'
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        pipeline = loader.dataset.pipeline
        assert pipeline[-1] == dict(type='PackInputs', algorithm_keys=['meta'])
        assert pipeline[-2]['type'] in ('SpatioTemporalMeta', 'AttributeMeta',
                                        'TextEmbeddingMeta')
    if 'text' in name:
        assert cfg.train_dataloader.dataset.pipeline[-2].caption_index is None
        assert cfg.val_dataloader.dataset.pipeline[-2].caption_index == 0
    assert [h.type for h in cfg.custom_hooks] == ['MetaMaskCurriculumHook']
    assert [m.type for m in cfg.val_evaluator
            ] == ['ShotAccuracy', 'MetaMaskedShotAccuracy']


@pytest.mark.parametrize('name, lr, warmup_lr, min_lr', [
    ('metafg-0-meta_8xb32-300e_inat2018-384px', 5e-5, 2.5e-7, 5e-6),
    ('metafg-1_8xb32-accum2-300e_cub-384px', 5e-5, 5e-8, 5e-7),
])
def test_schedule_follows_timm_cosine(name, lr, warmup_lr, min_lr):
    """The official (timm) schedule, scaled for 8 x 32 images: linear from
    warmup_lr to lr over 20 epochs, then lr_min + (lr - lr_min)(1 + cos(pi
    t / T)) / 2 with T = all 300 epochs (per iteration)."""
    import torch
    from mmengine.registry import PARAM_SCHEDULERS
    cfg = Config.fromfile(str(REPO / f'configs/metafg/{name}.py'))
    assert cfg.optim_wrapper.optimizer.lr == lr
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    ipe = 10  # iterations per epoch
    scheds = []
    for s in cfg.param_scheduler:  # the same, counted in iterations
        s = {k: v for k, v in s.items() if k != 'convert_to_iter_based'}
        s.update(
            optimizer=opt,
            by_epoch=False,
            begin=s['begin'] * ipe,
            end=s['end'] * ipe)
        if 'T_max' in s:
            s['T_max'] *= ipe
        scheds.append(PARAM_SCHEDULERS.build(s))
    for t in range(300 * ipe):
        if t < 20 * ipe:
            ref = warmup_lr + t * (lr - warmup_lr) / (20 * ipe)
        else:
            ref = min_lr + 0.5 * (lr - min_lr) * (1 + np.cos(np.pi * t /
                                                             (300 * ipe)))
        assert abs(opt.param_groups[0]['lr'] - ref) < 0.007 * lr, t
        opt.step()
        for s in scheds:
            s.step()
