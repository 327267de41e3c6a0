# Copyright (c) mmlt contributors. All rights reserved.
"""Tiny P²OT / SP²OT training configs on the shipped CIFAR-10-LT demo set."""
import copy

import pytest
import torch
from mmengine.config import Config, ConfigDict

from .._demo import DEMO_CLASSES, DEMO_COUNTS, subset

VIEWS = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]


def make_tiny_p2ot_cfg(path,
                       data_root,
                       work_dir,
                       per_class=4,
                       epochs=2,
                       batch_size=8,
                       bank_size=16):
    """A ResNet-32 clustering config shrunk to the demo set: ``per_class``
    train images of each of the 10 classes (32 px, read from files), 10 test
    images, a ``bank_size``-row logits bank, no pretrained weights, logs at
    every iteration."""
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work_dir)
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=2, transforms=[VIEWS]),
        dict(type='PackInputs'),
    ]
    test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    for name, ann, indices, pipeline, bs in (('train_dataloader', 'train.txt',
                                              subset(DEMO_COUNTS, per_class),
                                              train_pipeline, batch_size),
                                             ('val_dataloader', 'test.txt',
                                              subset([200] * 10,
                                                     1), test_pipeline, 10)):
        loader = cfg[name]
        loader.batch_size = bs
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.collate_fn = dict(type='default_collate')
        loader.dataset = ConfigDict(
            type='LTListDataset',
            data_root=str(data_root),
            ann_file=ann,
            metainfo=dict(classes=DEMO_CLASSES),
            indices=indices,
            pipeline=pipeline)
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.data_preprocessor.to_rgb = True  # files are read as BGR
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.head.pseudo_labeler.bank_size = bank_size
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler[0].T_max = epochs
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    return cfg


@pytest.fixture
def tiny_p2ot_cfg(demo_data_root):

    def make(path, work_dir, **kwargs):
        return make_tiny_p2ot_cfg(path, demo_data_root, work_dir, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
