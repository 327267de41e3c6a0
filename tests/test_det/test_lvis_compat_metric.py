# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from lvis import LVIS
from mmdet.registry import METRICS

from mmlt.det.evaluation import LVISCompatMetric, numpy_float_alias


def test_alias_only_inside_the_block():
    assert 'float' not in np.__dict__
    with numpy_float_alias():
        assert np.float is float
    assert 'float' not in np.__dict__
    with pytest.raises(RuntimeError):
        with numpy_float_alias():
            raise RuntimeError('boom')
    assert 'float' not in np.__dict__


def _gt_as_predictions(lvis_api, num_images=None):
    """Data samples whose predictions are the ground truth (labels are the
    positions of the category ids in the json, as in LVISV1Dataset)."""
    cat2label = {c: i for i, c in enumerate(lvis_api.get_cat_ids())}
    samples = []
    for img_id in lvis_api.get_img_ids()[:num_images]:
        img = lvis_api.imgs[img_id]
        anns = lvis_api.load_anns(lvis_api.get_ann_ids(img_ids=[img_id]))
        boxes = [[x, y, x + w, y + h]
                 for x, y, w, h in (a['bbox'] for a in anns)]
        masks = np.stack([lvis_api.ann_to_mask(a) for a in anns]).astype(bool)
        samples.append(
            dict(
                img_id=img_id,
                ori_shape=(img['height'], img['width']),
                pred_instances=dict(
                    bboxes=torch.tensor(boxes, dtype=torch.float32),
                    scores=torch.linspace(1., 0.5, len(anns)),
                    labels=torch.tensor(
                        [cat2label[a['category_id']] for a in anns]),
                    masks=torch.from_numpy(masks))))
    return samples


def test_perfect_predictions_on_tiny_lvis(coco_tiny_root):
    ann = str(coco_tiny_root / 'annotations' / 'lvis_v1_tiny_val.json')
    metric = METRICS.build(
        dict(type='LVISCompatMetric', ann_file=ann, metric=['bbox', 'segm']))
    assert isinstance(metric, LVISCompatMetric)
    lvis_api = LVIS(ann)
    # COCO category ids (1-90 with gaps) map to labels 0-79 in json order
    assert lvis_api.get_cat_ids()[-1] == 90 and len(lvis_api.cats) == 80
    metric.dataset_meta = dict(
        classes=tuple(c['name'] for c in lvis_api.cats.values()))
    samples = _gt_as_predictions(lvis_api)
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    for iou_type in ('bbox', 'segm'):
        for key in ('AP', 'APr', 'APc', 'APf'):
            assert results[f'lvis/{iou_type}_{key}'] == pytest.approx(
                1.0, abs=1e-3), (iou_type, key)
    assert 'float' not in np.__dict__


def test_missed_objects_lower_ap(coco_tiny_root):
    ann = str(coco_tiny_root / 'annotations' / 'lvis_v1_tiny_val.json')
    metric = LVISCompatMetric(ann_file=ann, metric='bbox')
    lvis_api = LVIS(ann)
    metric.dataset_meta = dict(
        classes=tuple(c['name'] for c in lvis_api.cats.values()))
    samples = _gt_as_predictions(lvis_api, num_images=40)  # half the images
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    assert 0.05 < results['lvis/bbox_AP'] < 0.95
