# ImageNet-R as a long-tailed clustering set (P²OT protocol): 200 classes,
# 20 random images per class form the balanced test set (4,000), the rest
# (about 26k, long-tailed) is the training set; classes re-indexed by
# descending training count. data_root is the extracted imagenet-r/ folder.
_base_ = './cifar100lt-if100_2view-224px_bs512.py'
dataset_type = 'ImageNetRLT'
data_root = 'data/imagenet-r'
num_classes = 200
data_preprocessor = dict(to_rgb=True)  # images are loaded as BGR
view_pipeline = [
    dict(type='LoadImageFromFile'),
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
    dict(type='LoadImageFromFile'),
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
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        test_per_class=20,
        seed=0,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_per_class=20,
        seed=0,
        pipeline=test_pipeline))
val_evaluator = dict(num_classes=num_classes)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
