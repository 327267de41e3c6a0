# iNaturalist 2018 with MetaFormer's spatio-temporal meta: the date and
# location of each image (train2018_locations.json / val2018_locations.json
# in data_root) encoded by SpatioTemporalMeta into a 7-d vector
# (month and hour on the unit circle, location on the unit sphere), packed
# as `meta`. Evaluation reports accuracy with meta (lt/...) and with all
# meta zeroed (lt_meta_masked/...). Pipelines as inat2018_384px.py plus
# SpatioTemporalMeta.
_base_ = './inat2018_384px.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=384,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[103.53, 116.28, 123.675],
        fill_std=[57.375, 57.12, 58.395]),
    dict(type='SpatioTemporalMeta'),
    dict(type='PackInputs', algorithm_keys=['meta']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=438,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=384),
    dict(type='SpatioTemporalMeta'),
    dict(type='PackInputs', algorithm_keys=['meta']),
]
train_dataloader = dict(dataset=dict(with_meta=True, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(with_meta=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='MetaMaskedShotAccuracy', topk=(1, 5)),
]
test_evaluator = val_evaluator
