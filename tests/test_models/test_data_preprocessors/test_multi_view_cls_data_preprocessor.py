# Copyright (c) mmlt contributors. All rights reserved.
"""MultiViewClsDataPreprocessor: views concatenated weak first, whatever
the collate function; single views as ClsDataPreprocessor."""
import pytest
import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from mmlt.models.data_preprocessors import MultiViewClsDataPreprocessor

KW = dict(mean=[10., 20., 30.], std=[2., 2., 2.], to_rgb=True, num_classes=3)


def _views(batch=2):
    weak = torch.zeros(batch, 3, 4, 4, dtype=torch.uint8)
    strong = torch.full((batch, 3, 4, 4), 200, dtype=torch.uint8)
    strong[:, 0] = 100  # BGR: flipped to the last channel
    return weak, strong


def test_views_in_pipeline_order_default_collate():
    pre = MultiViewClsDataPreprocessor(**KW)
    weak, strong = _views()
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    out = pre(dict(inputs=[weak, strong], data_samples=samples), True)
    x = out['inputs']
    assert x.shape == (4, 3, 4, 4)
    ref = ClsDataPreprocessor(**KW)
    for rows, view in ((slice(0, 2), weak), (slice(2, 4), strong)):
        torch.testing.assert_close(
            x[rows],
            ref(dict(inputs=view, data_samples=None))['inputs'])
    # the weak view first: 0 pixels -> (0 - mean) / std
    assert x[0, 0, 0, 0].item() == pytest.approx(-5.)
    # strong view, BGR -> RGB: channel 2 holds the 100s
    assert x[2, 2, 0, 0].item() == pytest.approx((100 - 30) / 2)
    assert out['data_samples'] is samples or len(out['data_samples']) == 2


def test_pseudo_collate_layout_and_single_view():
    """The Runner's default collate (mmengine ``pseudo_collate``) of
    ``MultiView`` samples: all weak views first, in sample order, then all
    strong views, aligned with the data samples (a per-image interleaving
    would pair images with the wrong labels)."""
    from mmengine.dataset import pseudo_collate
    pre = MultiViewClsDataPreprocessor(**KW)
    weak, strong = _views(batch=3)
    weak[1], strong[1] = 50, 150  # tell the samples apart
    weak[2], strong[2] = 60, 160
    samples = [DataSample().set_gt_label(i) for i in (0, 1, 2)]
    batch = pseudo_collate([
        dict(inputs=[weak[i], strong[i]], data_samples=samples[i])
        for i in range(3)
    ])
    out = pre(batch, True)
    ref = pre(dict(inputs=[weak, strong], data_samples=samples), True)
    torch.testing.assert_close(out['inputs'], ref['inputs'])
    assert [s.gt_label.item() for s in out['data_samples']] == [0, 1, 2]
    # rows 0..2 are the weak views of samples 0, 1, 2
    assert out['inputs'][1, 0, 0, 0].item() == pytest.approx((50 - 10) / 2)
    assert out['inputs'][4, 0, 0, 0].item() == pytest.approx((150 - 10) / 2)
    single = pre(dict(inputs=weak, data_samples=None), False)
    torch.testing.assert_close(
        single['inputs'],
        ClsDataPreprocessor(**KW)(dict(inputs=weak))['inputs'])


def test_batch_augments_refused_with_views():
    pre = MultiViewClsDataPreprocessor(
        **KW, batch_augments=dict(augments=dict(type='Mixup', alpha=1.)))
    weak, strong = _views()
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    with pytest.raises(ValueError, match='batch augmentations'):
        pre(dict(inputs=[weak, strong], data_samples=samples), True)
