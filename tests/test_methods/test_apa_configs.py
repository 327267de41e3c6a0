# Copyright (c) mmlt contributors. All rights reserved.
"""Every ``configs/apa`` config builds and runs one training step and one
prediction on tiny inputs; pipelines build and run; lambda/kappa get no
weight decay."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.layers import set_apa_compile
from .._schedule import epoch_lrs

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / 'configs' / 'apa').glob('aglu-*.py'))


@pytest.fixture(autouse=True)
def _eager_quiet():
    set_apa_compile(False)
    # one thread: tiny ops on a shared machine are many times faster
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('ERROR')
    yield
    logger.setLevel(level)
    torch.set_num_threads(threads)
    set_apa_compile(True)


def test_all_configs_found():
    names = {p.name for p in CONFIGS}
    assert len(names) == 6, names


def _build(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg', None)  # no pretrained downloads
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds_and_runs_one_step(path):
    torch.manual_seed(0)
    cfg = Config.fromfile(str(path))
    model = _build(cfg)
    num_classes = cfg.model.head.num_classes
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
            for _ in range(2)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in (0, 1)])
    if getattr(model.head, 'posthoc', None) is not None:
        model.head.set_class_counts(
            np.linspace(500, 5, num_classes).astype(int))

    model.eval()
    batch = model.data_preprocessor(copy.deepcopy(data), training=False)
    with torch.no_grad():
        preds = model(**batch, mode='predict')
    assert preds[0].pred_score.shape == (num_classes, )
    assert torch.isfinite(preds[0].pred_score).all()

    # one optimisation step with the config's optimiser (AMP -> plain here)
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    optim_cfg['type'] = 'OptimWrapper'
    optim = build_optim_wrapper(model, optim_cfg)
    model.train()
    batch = model.data_preprocessor(copy.deepcopy(data), training=True)
    losses = model(**batch, mode='loss')
    total = sum(v for v in losses.values())
    assert torch.isfinite(total)
    optim.backward(total)
    grads = [
        p.grad for n, p in model.named_parameters()
        if n.endswith('lambda_param') and p.grad is not None
    ]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    optim.step()

    # lambda / kappa: no weight decay; conv weights: the config's decay
    wd = cfg.optim_wrapper.optimizer.weight_decay
    decay = {}
    for group in optim.optimizer.param_groups:
        for p in group['params']:
            decay[id(p)] = group['weight_decay']
    names = {n: p for n, p in model.named_parameters() if p.requires_grad}
    acts = [n for n in names if n.endswith(('lambda_param', 'kappa_param'))]
    assert acts and all(decay[id(names[n])] == 0 for n in acts)
    conv = [n for n in names if n.endswith('conv1.weight')][-1]
    assert decay[id(names[conv])] == pytest.approx(wd)


def test_places_stage2_freezes_and_reinits():
    cfg = Config.fromfile(
        str(REPO / 'configs/apa/aglu-apa-se_se-r152_4xb64-40e_placeslt.py'))
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    model = _build(cfg)
    model.train()
    bb = model.backbone
    assert not bb.relu.lambda_param.requires_grad
    assert not any(p.requires_grad for p in bb.layer3.parameters())
    assert all(p.requires_grad for p in bb.layer4.parameters())
    assert bb.reinit_act_stages == (3, )
    assert model.head.fc.scale_param.item() == pytest.approx(5.)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_train_pipeline_runs(path):
    cfg = Config.fromfile(str(path))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        transforms = [
            TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline
            if t['type'] != 'LoadImageFromFile'
        ]
    rng = np.random.default_rng(0)
    for _ in range(5):
        img = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
        results = dict(
            img=img,
            img_shape=img.shape[:2],
            ori_shape=img.shape[:2],
            gt_label=1)
        for t in transforms:
            results = t(results)
        assert results['inputs'].dtype == torch.uint8


def test_cifar10_autoaugment_policy_ops_all_valid():
    """Every op of the CIFAR-10 policy builds and runs (prob forced to 1)."""
    base = Config.fromfile(
        str(REPO / 'configs/_base_/pipelines/autoaugment_cifar10.py'))
    policies = base.cifar10_policies
    assert len(policies) == 25 and all(len(p) == 2 for p in policies)
    img = np.random.default_rng(1).integers(
        0, 256, (32, 32, 3), dtype=np.uint8)
    hparams = base.cifar10_autoaugment.hparams
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for sub in policies:
            for op in sub:
                op = dict(op, prob=1.0)
                if op['type'] in ('Rotate', 'Shear', 'Translate'):
                    op.update(hparams)
                out = TRANSFORMS.build(op)(dict(img=img.copy()))['img']
                assert out.shape == img.shape and out.dtype == np.uint8
    # torchvision bins: translate 150/331 of the size at bin 9, solarize
    # 255 * 7 / 9 at bin 2
    assert policies[1][1]['magnitude'] == pytest.approx(150 / 331)
    assert policies[14][0]['thr'] == pytest.approx(255 * 7 / 9)


def test_legacy_gradient_switch_from_the_command_line():
    """``--cfg-options model.backbone.act_cfg.legacy_lambda_grad=True``
    reproduces the published models' lambda-gradient everywhere."""
    from mmlt.models.layers import AGLU
    name = 'aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py'
    cfg = Config.fromfile(str(REPO / 'configs' / 'apa' / name))
    cfg.merge_from_dict({'model.backbone.act_cfg.legacy_lambda_grad': True})
    model = _build(cfg)
    aglus = [m for m in model.modules() if isinstance(m, AGLU)]
    assert len(aglus) == 1 + 15 * 2
    assert all(m.legacy_lambda_grad for m in aglus)


# warm-up epochs of the official commands (classification/README.md; the
# ImageNet-LT one takes the default 3)
OFFICIAL_WARMUP = {
    'aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py': 3,
    'aglu-apa-se_se-r50_4xb64-200e_imagenetlt.py': 3,
    'aglu-apa-se_se-x50_4xb64-200e_imagenetlt.py': 3,
    'aglu-apa-se_se-r152_4xb64-100e_in1k.py': 3,
    'aglu-apa-se_se-r152_4xb64-40e_placeslt.py': 3,
    'aglu-apa-se_se-r50_4xb256-500e_inat2018.py': 5,
}


def official_lr(epoch, base_lr, epochs, warmup, start_factor=0.01):
    """torch's SequentialLR of LinearLR(start_factor, total_iters=warmup)
    and CosineAnnealingLR(T_max=epochs - warmup) at the warm-up milestone,
    as the official train.py builds it, written from the formulas."""
    if epoch < warmup:
        return base_lr * (start_factor + (1 - start_factor) * epoch / warmup)
    t = (epoch - warmup) / (epochs - warmup)
    return base_lr * (1 + np.cos(np.pi * t)) / 2


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_lr_schedule_equals_official_every_epoch(path):
    cfg = Config.fromfile(str(path))
    epochs, base_lr = cfg.train_cfg.max_epochs, cfg.optim_wrapper.optimizer.lr
    got = epoch_lrs(cfg)
    want = [
        official_lr(e, base_lr, epochs, OFFICIAL_WARMUP[path.name])
        for e in range(epochs)
    ]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * base_lr)
