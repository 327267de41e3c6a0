# Copyright (c) mmlt contributors. All rights reserved.
"""The PaCo / GPaCo configs hold the official recipes: the learning rate of
every epoch against the official ``adjust_learning_rate`` formulas, the
model settings (moco-dim, queue, T, alpha, MLP) and the two views; the
SAM variants differ from their base by the optimizer wrapper only. (Every
config also builds and runs a step in tests/test_configs.py.)"""
import math
from pathlib import Path

import pytest
from mmengine.config import Config

import mmlt  # noqa: F401
from .._schedule import epoch_lrs

REPO = Path(__file__).resolve().parents[2]
PACO = 'configs/paco/'


def official_cifar_lr(epoch, lr=0.05):
    """paco_cifar.py: warm-up while ``epoch <= 10``, x0.1 after 320 and
    x0.01 after 360."""
    if epoch <= 10:
        return lr / 10 * (epoch + 1)
    if epoch > 360:
        return lr * 0.01
    if epoch > 320:
        return lr * 0.1
    return lr


def official_cosine_lr(epoch, lr, epochs, warmup):
    """paco_lt.py / paco_fp16_places.py (``--cos`` is always on)."""
    if epoch < warmup:
        return lr / warmup * (epoch + 1)
    return lr * 0.5 * (1. + math.cos(math.pi * (epoch - warmup + 1) /
                                     (epochs - warmup + 1)))


@pytest.mark.parametrize('name', [
    'paco_r32_1xb128-400e_cifar100lt-if100.py',
    'gpaco_r32_1xb128-400e_cifar100lt-if100.py'
])
def test_cifar_lr_equals_official_but_the_warmup_overshoot(name):
    got = epoch_lrs(Config.fromfile(PACO + name))
    want = [official_cifar_lr(e) for e in range(400)]
    diff = [abs(g - w) for g, w in zip(got, want)]
    # the official 11th warm-up epoch runs at 1.1 x lr; ours at lr
    assert [e for e, d in enumerate(diff) if d > 1e-12] == [10]
    assert got[10] == pytest.approx(0.05) and want[10] == pytest.approx(0.055)


@pytest.mark.parametrize('name,lr,epochs,warmup', [
    ('paco_r50_4xb32-400e_imagenetlt.py', 0.02, 400, 10),
    ('paco_r50_4xb32-400e_inat2018.py', 0.02, 400, 10),
    ('gpaco_r50_4xb32-400e_imagenetlt.py', 0.04, 400, 10),
    ('gpaco_r50_8xb16-400e_inat2018.py', 0.04, 400, 10),
    ('paco_r152_4xb32-30e_placeslt.py', 0.02, 30, 5),
    ('gpaco_r152_4xb32-30e_placeslt.py', 0.02, 30, 5),
])
def test_cosine_lr_equals_official_every_epoch(name, lr, epochs, warmup):
    cfg = Config.fromfile(PACO + name)
    got = epoch_lrs(cfg)
    want = [official_cosine_lr(e, lr, epochs, warmup) for e in range(epochs)]
    assert len(got) == epochs
    assert max(abs(g - w) for g, w in zip(got, want)) < 1e-12


@pytest.mark.parametrize(
    'name,kind,dim,queue,t,alpha,layers,batch,wd',
    [
        # (config, model, moco-dim, queue, T, alpha, MLP layers, per-GPU
        # batch, weight decay)
        ('paco_r32_1xb128-400e_cifar100lt-if100.py', 'PaCo', 32, 1024, 0.05,
         0.01, 2, 128, 5e-4),
        ('paco_r32_1xb128-400e_cifar10lt-if100.py', 'PaCo', 32, 1024, 0.05,
         0.01, 2, 128, 5e-4),
        ('gpaco_r32_1xb128-400e_cifar100lt-if100.py', 'GPaCo', 32, 1024, 0.05,
         0.01, 3, 128, 5e-4),
        ('paco_r50_4xb32-400e_imagenetlt.py', 'PaCo', 128, 8192, 0.2, 0.05, 2,
         32, 5e-4),
        ('gpaco_r50_4xb32-400e_imagenetlt.py', 'GPaCo', 128, 8192, 0.2, 0.045,
         3, 32, 5e-4),
        ('paco_r50_4xb32-400e_inat2018.py', 'PaCo', 128, 8192, 0.2, 0.05, 2,
         32, 1e-4),
        ('gpaco_r50_8xb16-400e_inat2018.py', 'GPaCo', 128, 8192, 0.2, 0.05, 3,
         16, 1e-4),
        ('paco_r152_4xb32-30e_placeslt.py', 'PaCo', 128, 8192, 0.2, 0.05, 2,
         32, 5e-4),
        ('gpaco_r152_4xb32-30e_placeslt.py', 'GPaCo', 128, 8192, 0.2, 0.02, 3,
         32, 5e-4),
    ])
def test_recipe(name, kind, dim, queue, t, alpha, layers, batch, wd):
    cfg = Config.fromfile(PACO + name)
    model = cfg.model
    assert model.type == kind
    assert (model.feat_dim, model.queue_len) == (dim, queue)
    assert 'momentum' not in model  # PaCo's default 0.001 (--moco-m 0.999)
    loss = model.head.loss
    assert (loss.type, loss.temperature, loss.alpha) == ('PaCoLoss', t, alpha)
    assert loss.get('beta', 1.) == loss.get('gamma', 1.) == 1.
    projector = model.projector
    assert projector.out_channels == dim
    assert projector.num_layers == layers
    assert projector.with_bn == (kind == 'PaCo')
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.train_dataloader.drop_last
    assert cfg.optim_wrapper.optimizer.weight_decay == wd
    assert cfg.auto_scale_lr.base_batch_size == 128
    assert cfg.data_preprocessor.type == 'MultiViewClsDataPreprocessor'
    (multi_view, ) = [
        t for t in cfg.train_dataloader.dataset.pipeline
        if t['type'] == 'MultiView'
    ]
    assert multi_view.num_views == [1, 1]


def _view_types(cfg):
    (multi_view, ) = [
        t for t in cfg.train_dataloader.dataset.pipeline
        if t['type'] == 'MultiView'
    ]
    return [[t['type'] for t in view] for view in multi_view.transforms]


def test_views_are_the_official_augmentations():
    cifar = _view_types(
        Config.fromfile(PACO + 'paco_r32_1xb128-400e_cifar100lt-if100.py'))
    assert cifar == [['RandomCrop', 'RandomFlip', 'AutoAugment', 'Cutout'],
                     [
                         'RandomResizedCrop', 'RandomFlip', 'RandomApply',
                         'RandomGrayscale', 'GaussianBlur'
                     ]]
    gpaco = Config.fromfile(PACO + 'gpaco_r32_1xb128-400e_cifar100lt-if100.py')
    assert _view_types(gpaco) == cifar
    (blur, ) = [
        t for t in gpaco.train_dataloader.dataset.pipeline[0].transforms[1]
        if t['type'] == 'GaussianBlur'
    ]
    assert blur.prob == 0.2  # GPaCo's aug_cifar
    randcls = ['RandomResizedCrop', 'RandomFlip', 'ColorJitter', 'RandAugment']
    sim = [
        'RandomResizedCrop', 'ColorJitter', 'RandomGrayscale', 'GaussianBlur',
        'RandomFlip'
    ]
    stack = [
        'RandomResizedCrop', 'RandomFlip', 'ColorJitter', 'RandomGrayscale',
        'GaussianBlur', 'RandAugment'
    ]
    for name, want in (('paco_r50_4xb32-400e_imagenetlt.py', [randcls, sim]),
                       ('paco_r50_4xb32-400e_inat2018.py', [randcls, sim]),
                       ('gpaco_r50_4xb32-400e_imagenetlt.py', [randcls,
                                                               stack]),
                       ('paco_r152_4xb32-30e_placeslt.py', [sim, sim])):
        assert _view_types(Config.fromfile(PACO + name)) == want, name


def test_places_freezes_every_conv_but_the_last_block():
    """lr 0 (mmengine's parameter-wise settings) for every conv of the
    backbone but layer4.2's, as the official requires_grad=False."""
    import logging

    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper

    from mmlt.registry import MODELS
    cfg = Config.fromfile(PACO + 'paco_r152_4xb32-30e_placeslt.py')
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://resnet152'
    cfg.model.backbone.pop('init_cfg')
    model = MODELS.build(cfg.model)
    # the parameter-wise settings, on a CPU (no AMP)
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.pop('loss_scale')
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    finally:
        logger.setLevel(level)
    names = {id(p): n for n, p in model.named_parameters()}
    lr = {
        names[id(p)]: group['lr']
        for group in optimizer.param_groups
        for p in group['params']
    }
    frozen = {n for n, v in lr.items() if v == 0}
    convs = {
        n
        for n in lr if n.startswith('backbone.') and
        ('.conv' in n or n.startswith('backbone.conv1') or 'downsample.0' in n)
    }
    assert convs - frozen == {
        f'backbone.layer4.2.conv{i}.weight'
        for i in (1, 2, 3)
    }
    assert frozen == convs - (convs - frozen)
    assert lr['backbone.layer1.0.bn1.bias'] == lr['head.fc.weight'] == 0.02
    assert lr['backbone.layer4.0.downsample.1.weight'] == 0.02
    assert lr['projector.mlp.0.weight'] == 0.02


@pytest.mark.parametrize('name,wrapper', [
    ('paco-sam_r32_1xb128-400e_cifar100lt-if100.py', 'SAMOptimWrapper'),
    ('paco-sam_r32_1xb128-400e_cifar10lt-if100.py', 'SAMOptimWrapper'),
    ('paco-sam_r50_4xb32-400e_imagenetlt.py', 'SAMOptimWrapper'),
    ('paco-sam_r50_4xb32-400e_inat2018.py', 'SAMOptimWrapper'),
    ('paco-sam_r152_4xb32-30e_placeslt.py', 'AmpSAMOptimWrapper'),
])
def test_sam_variants_change_the_wrapper_only(name, wrapper):
    sam = Config.fromfile(PACO + name)
    plain = Config.fromfile(PACO + name.replace('paco-sam_', 'paco_'))
    assert sam.optim_wrapper.type == wrapper
    assert sam.optim_wrapper.rho == 0.05
    rest = {k: v for k, v in sam.optim_wrapper.items() if k != 'rho'}
    assert rest == dict(plain.optim_wrapper, type=wrapper)
    assert sam.model == plain.model
    assert sam.train_dataloader == plain.train_dataloader
    assert sam.param_scheduler == plain.param_scheduler
