# CUB-200-2011 with its 312 binary attributes per image as meta
# (attributes/image_attribute_labels.txt under data_root), encoded by
# AttributeMeta. Pipelines as cub_384px.py plus the meta encoder.
_base_ = './cub_384px.py'
meta_transform = dict(type='AttributeMeta', num_attributes=312)
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
    meta_transform,
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
    meta_transform,
    dict(type='PackInputs', algorithm_keys=['meta']),
]
train_dataloader = dict(
    dataset=dict(meta_type='attribute', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(meta_type='attribute', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='MetaMaskedShotAccuracy', topk=(1, 5)),
]
test_evaluator = val_evaluator
