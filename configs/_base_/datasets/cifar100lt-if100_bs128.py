# CIFAR-100-LT (Cao et al. 2019 protocol): exponential profile, IF 100,
# seeded per-class shuffle (seed 0); balanced 10k test set.
# data_root holds cifar-100-python/ (pickles) or train/ and test/ image trees.
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    # LDAM-DRW / RIDE / MDCS normalisation, RGB in [0, 255]
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imb_factor=100,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = val_dataloader
