# Copyright (c) mmlt contributors. All rights reserved.
"""Tiny training configs on the CIFAR-10-LT demo set shipped in ``demo/``
(extracted by the ``demo_data_root`` fixture)."""
import copy

import numpy as np
from mmengine.config import Config, ConfigDict

DEMO_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
                'horse', 'ship', 'truck')
DEMO_COUNTS = [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]


def subset(counts, per_class):
    """The first ``per_class`` indices of each class of a class-sorted
    list."""
    starts = np.cumsum([0] + list(counts[:-1]))
    return [
        int(s + j) for s, n in zip(starts, counts)
        for j in range(min(n, per_class))
    ]


def _strip_pretrained(node):
    if isinstance(node, dict):
        return {
            k: _strip_pretrained(v)
            for k, v in node.items()
            if not (k == 'init_cfg' and isinstance(v, dict)
                    and v.get('type') == 'Pretrained')
        }
    if isinstance(node, list):
        return [_strip_pretrained(v) for v in node]
    return node


def make_tiny_cfg(path,
                  data_root,
                  work_dir,
                  epochs=2,
                  per_class=2,
                  save_checkpoints=True):
    """A RIDE config shrunk to the demo set: ``per_class`` train images of
    each of the 10 classes in one batch (one iteration per epoch), 32x32
    images, 10 classes, DRW (if any) from the last epoch on; checkpoints
    after every epoch or none."""
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work_dir)
    train_pipeline = cfg.train_dataloader.dataset.pipeline
    if any(t['type'] == 'LoadImageFromFile' for t in train_pipeline):
        train_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='RandomResizedCrop', scale=32),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]
    else:  # CIFAR pipelines work on in-memory arrays
        train_pipeline = [dict(type='LoadImageFromFile')] + \
            copy.deepcopy(train_pipeline)
    test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    for name, ann, indices, pipeline in (('train_dataloader', 'train.txt',
                                          subset(DEMO_COUNTS,
                                                 per_class), train_pipeline),
                                         ('val_dataloader', 'test.txt',
                                          subset([200] * 10,
                                                 1), test_pipeline)):
        loader = cfg[name]
        loader.batch_size = len(indices)
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset = dict(
            type='LTListDataset',
            data_root=str(data_root),
            ann_file=ann,
            metainfo=dict(classes=DEMO_CLASSES),
            indices=indices,
            pipeline=pipeline)
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.data_preprocessor.num_classes = 10
    cfg.model = ConfigDict(_strip_pretrained(cfg.model.to_dict()))
    cfg.model.head.num_classes = 10
    if 'router' in cfg.model:
        cfg.model.router.num_classes = 10
        cfg.model.router.top_choices = 5
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'DeferredReweightingHook':
            hook.start_epoch = epochs - 1
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1) if save_checkpoints else None
    return cfg


DEMO_CFG = 'configs/demo/balanced-softmax_r32_1xb64-40e_cifar10lt-demo.py'


def tiny_demo_cfg(data_root, work_dir, epochs=2, **overrides):
    """The demo config on a few images of every class of the demo set
    (4 iterations per epoch, no lr schedule, no workers)."""
    cfg = Config.fromfile(DEMO_CFG)
    cfg.work_dir = str(work_dir)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.data_root = str(data_root)
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    # a few images of every class: 4 iterations per epoch
    cfg.train_dataloader.batch_size = 16
    cfg.train_dataloader.dataset.indices = subset(DEMO_COUNTS, 7)
    cfg.val_dataloader.dataset.indices = subset([200] * 10, 4)
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.merge_from_dict(overrides)
    return cfg
