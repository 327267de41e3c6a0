# The `make demo` job: ResNet-32 + Balanced Softmax on the CIFAR-10-LT demo set
# shipped in demo/cifar10_lt_demo.tar.gz (1,236 train images, IF 100,
# 4 many / 3 medium / 3 few classes; 2,000 balanced test images).
# tools/demo.py extracts it to data/cifar10_lt_demo.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/cifar10_lt_demo'
classes = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
model = dict(
    head=dict(
        num_classes=10,
        loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=True)  # LoadImageFromFile gives BGR
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
# images are decoded in the main process: for 1,236 32-px JPEGs a loader
# worker costs more than it saves on 2 cores (about 20 % of the demo's time)
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type='LTListDataset',
        data_root=data_root,
        ann_file='train.txt',
        metainfo=dict(classes=classes),
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=250,
    num_workers=0,
    dataset=dict(
        type='LTListDataset',
        data_root=data_root,
        ann_file='test.txt',
        metainfo=dict(classes=classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='ShotAccuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0, end=3),
    dict(type='CosineAnnealingLR', T_max=37, by_epoch=True, begin=3, end=40),
]
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=40)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=40, max_keep_ckpts=1))
