# Copyright (c) mmlt contributors. All rights reserved.
"""Real data, end to end: the APA Mask R-CNN (SE-R50 AGLU + APA-SE, Gumbel
DropLoss, learned-temperature cosine mask predictor, CARAFE on CPU) trains 2
iterations on COCO-Tiny images with their LVIS-v1-format annotations (RFS
wrapper, multi-scale resize), then mmdet's LVIS evaluation runs to the end
and reports AP/APr/APc/APf for bbox and segm."""
import math
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmlt.det.models.layers import (CARAFEPackWithFallback,
                                    LearnableTempNormedConv2d)
from mmlt.det.utils import read_lvis_category_stats

pytestmark = pytest.mark.filterwarnings(
    'ignore:pkg_resources is deprecated:UserWarning')

CONFIG = (
    Path(__file__).resolve().parents[2] / 'configs' / 'apa_det' /
    'mask-rcnn_se-r50-aglu-apa_fpn_gumbel-droploss_smoke_coco-tiny-'
    'lvis.py')


def test_train_two_iterations_and_lvis_eval(coco_tiny_root, tmp_path):
    cfg = Config.fromfile(CONFIG)
    root = str(coco_tiny_root) + '/'
    cfg.train_dataloader.dataset.dataset.data_root = root
    cfg.val_dataloader.dataset.data_root = root
    cfg.model.roi_head.bbox_head.loss_cls.ann_file = (
        root + 'annotations/lvis_v1_tiny_train.json')
    cfg.val_evaluator.ann_file = root + 'annotations/lvis_v1_tiny_val.json'
    cfg.work_dir = str(tmp_path)
    cfg.default_hooks.checkpoint = None  # no 370 MB checkpoint in a test
    cfg.visualizer.vis_backends = []
    runner = Runner.from_cfg(cfg)
    runner.train()

    assert runner.iter == 2 and runner.epoch == 1
    model = runner.model
    # COCO category ids (1-90, 80 used) -> 80 labels, the same in the loss
    dataset = runner.train_dataloader.dataset
    assert type(dataset).__name__ == 'ClassBalancedDataset'
    cats = read_lvis_category_stats(root +
                                    'annotations/lvis_v1_tiny_train.json')
    assert dataset.dataset.cat_ids == list(cats.cat_ids)
    assert dataset.metainfo['classes'] == cats.names
    assert runner.val_evaluator.dataset_meta['classes'] == cats.names
    loss_cls = model.roi_head.bbox_head.loss_cls
    assert loss_cls.num_classes == 80 and int(loss_cls.rare_mask.sum()) == 39
    assert isinstance(model.roi_head.mask_head.upsample,
                      CARAFEPackWithFallback)
    assert isinstance(model.roi_head.mask_head.conv_logits,
                      LearnableTempNormedConv2d)

    hub = runner.message_hub
    for key in ('loss_cls', 'loss_bbox', 'loss_mask', 'loss_rpn_cls'):
        assert math.isfinite(hub.get_scalar(f'train/{key}').current()), key
    for iou_type in ('bbox', 'segm'):
        for key in ('AP', 'APr', 'APc', 'APf'):
            value = hub.get_scalar(f'val/lvis/{iou_type}_{key}').current()
            assert 0. <= value <= 1., (iou_type, key, value)

    # lambda/kappa without weight decay, the convolutions with it
    decay = {
        id(p): g['weight_decay']
        for g in runner.optim_wrapper.optimizer.param_groups
        for p in g['params']
    }
    params = dict(model.named_parameters())
    assert decay[id(params['backbone.layer2.0.act1.lambda_param'])] == 0.
    assert decay[id(params['backbone.layer3.1.act2.kappa_param'])] == 0.
    assert decay[id(params['backbone.layer2.0.conv1.weight'])] == 1e-4
    assert not params['backbone.relu.lambda_param'].requires_grad
