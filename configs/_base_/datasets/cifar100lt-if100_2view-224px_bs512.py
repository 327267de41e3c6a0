# CIFAR-100-LT IF100 (10,847 train images, seeded per-class shuffle, seed 0)
# for clustering at 224 px as in P²OT: two views per image (resize the short
# edge to 256 bicubic, random 224 crop, flip; the official ColorJitter() has
# default arguments and does nothing), balanced 10k test set (resize 256,
# centre crop 224). CIFAR arrays are RGB. The runtime comes with it (its
# ClusteringMetric replaces the runtime's ShotAccuracy) for every 2-view
# clustering dataset base.
_base_ = '../default_runtime.py'
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
num_classes = 100
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False)
view_pipeline = [
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    drop_last=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imb_factor=100,
        selection='shuffle',
        seed=0,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=1024,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(
    _delete_=True, type='ClusteringMetric', num_classes=num_classes)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
