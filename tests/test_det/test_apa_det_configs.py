# Copyright (c) mmlt contributors. All rights reserved.
"""Every config in configs/apa_det builds; the LVIS v1 ones run one training
forward/backward step on a tiny input (the LVIS files are not here, so the
DropLoss counts are given directly); the COCO-Tiny smoke config is run end
to end in test_lvis_smoke_train.py."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from mmlt.det.models.layers import (CARAFEPackWithFallback,
                                    LearnableTempNormedConv2d)

pytestmark = pytest.mark.filterwarnings(
    'ignore:pkg_resources is deprecated:UserWarning')

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / 'apa_det'
LVIS_CONFIGS = sorted(CONFIG_DIR.glob('*_lvis-v1.py'))
R50, R101 = (
    CONFIG_DIR / f'mask-rcnn_se-{d}-aglu-apa_fpn_gumbel-droploss_'
    'rfs1e-3_ms-2x_lvis-v1.py' for d in ('r50', 'r101'))


def test_config_files():
    assert LVIS_CONFIGS == [R101, R50]
    assert (CONFIG_DIR / 'README.md').exists()
    assert (CONFIG_DIR / 'metafile.yml').exists()


@pytest.mark.parametrize('path', [R50, R101], ids=['r50', 'r101'])
def test_recipe(path):
    cfg = Config.fromfile(path)  # resolves the mmdet:: bases
    assert cfg.default_scope == 'mmdet'
    assert cfg.custom_imports.imports == ['mmlt.det']
    backbone = cfg.model.backbone
    assert backbone.type == 'SEResNetAGLUDet'
    assert backbone.depth == (50 if path == R50 else 101)
    assert (backbone.out_indices, backbone.frozen_stages,
            backbone.norm_eval) == ((0, 1, 2, 3), 1, True)
    assert backbone.init_cfg.prefix == 'backbone.'
    bbox_head = cfg.model.roi_head.bbox_head
    assert bbox_head.num_classes == 1203
    assert bbox_head.loss_cls.type == 'GumbelDropLoss'
    assert bbox_head.loss_cls.lambda_ == 0.0011
    assert bbox_head.init_cfg[0] == dict(
        type='Constant', val=0.001, bias=-2., override=dict(name='fc_cls'))
    mask_head = cfg.model.roi_head.mask_head
    if path == R50:
        assert mask_head.predictor_cfg == dict(
            type='LearnableTempNormedConv2d', temperature_init=4.5)
        assert mask_head.upsample_cfg.type == 'carafe'
        assert (mask_head.upsample_cfg.up_kernel,
                mask_head.upsample_cfg.encoder_kernel,
                mask_head.upsample_cfg.compressed_channels) == (5, 3, 64)
    else:
        assert mask_head.predictor_cfg == dict(
            type='NormedConv2d', tempearture=20)
        assert mask_head.upsample_cfg == dict(type='deconv', scale_factor=2)
    assert cfg.model.test_cfg.rcnn == dict(
        score_thr=1e-4,
        nms=dict(type='nms', iou_threshold=0.3),
        max_per_img=300,
        mask_thr_binary=0.4)
    train_set = cfg.train_dataloader.dataset
    assert train_set.type == 'ClassBalancedDataset'
    assert train_set.oversample_thr == 1e-3
    assert train_set.dataset.type == 'LVISV1Dataset'
    resize = train_set.dataset.pipeline[2]
    assert resize.type == 'RandomChoiceResize'
    assert resize.scales == [(1333, h) for h in range(640, 801, 32)]
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys == dict(
        lambda_param=dict(decay_mult=0.), kappa_param=dict(decay_mult=0.))
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR',
                                                              0.001, 500)
    assert (steps.milestones, cfg.train_cfg.max_epochs) == ([16, 22], 24)
    assert cfg.val_evaluator.type == 'LVISCompatMetric'
    assert cfg.val_evaluator.metric == ['bbox', 'segm']


@pytest.mark.parametrize('path', [R50, R101], ids=['r50', 'r101'])
def test_builds_and_trains_one_step(path):
    cfg = Config.fromfile(path)
    cfg.model.backbone.init_cfg = None  # no pretrained weights in tests
    loss_cfg = cfg.model.roi_head.bbox_head.loss_cls
    loss_cfg.ann_file = None  # lvis_v1_train.json is not on this machine
    loss_cfg.image_counts = list(range(1, 1204))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    head = model.roi_head.bbox_head
    assert head.fc_cls.out_features == 1203  # no background logit
    assert torch.all(head.fc_cls.weight == 0.001)
    assert torch.all(head.fc_cls.bias == -2.)
    # counts 1..1203 over 99,388 images: counts < 109.3 are dropped
    assert int(head.loss_cls.rare_mask.sum()) == 109
    mask_head = model.roi_head.mask_head
    if path == R50:
        assert isinstance(mask_head.upsample, CARAFEPackWithFallback)
        assert isinstance(mask_head.conv_logits, LearnableTempNormedConv2d)
    else:
        assert isinstance(mask_head.upsample, torch.nn.ConvTranspose2d)
        assert mask_head.conv_logits.tempearture == 20
    model.train()
    packed = demo_mm_inputs(
        batch_size=1,
        image_shapes=[(3, 96, 128)],
        num_items=[2],
        num_classes=1203,
        with_mask=True)
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    assert {
        'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'acc_classes',
        'loss_bbox', 'loss_mask'
    } <= set(losses)
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    assert head.fc_cls.weight.grad is not None
    assert model.backbone.layer4[0].act1.lambda_param.grad is not None
