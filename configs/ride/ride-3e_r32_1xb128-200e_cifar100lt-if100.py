# RIDE (Wang et al., ICLR 2021), stage 1, CIFAR-100-LT IF100: ResNet-32 with
# a shared stem + layer1 and 3 reduced-width experts (layer2/layer3 with
# 24/48 channels), one cosine classifier (s=30) per expert, ensemble = mean.
# Loss per expert: LDAM + distribution-aware diversity KL (lambda=-0.45).
# DRW from epoch 161: effective-number CE weights and per-class diversity
# temperature (gamma=0.05), switched on by DeferredReweightingHook.
# Recipe (official config_imbalance_cifar100_ride.json): SGD 0.1, Nesterov,
# wd 5e-4, batch 128, 200 epochs, linear warm-up lr*(e+1)/5 for 5 epochs,
# x0.01 at epochs 160 and 180; RandomCrop, flip, RandomRotation(15).
_base_ = [
    '../_base_/datasets/cifar100lt-if100_bs128.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ExpertResNetCifar',
        depth=32,
        shortcut='A',
        num_experts=3,
        reduce_dimension=True),
    head=dict(
        type='MultiExpertClsHead',
        num_classes=100,
        in_channels=48,
        num_experts=3,
        scale=30,
        loss=dict(
            type='RIDELoss',
            max_m=0.5,
            s=30,
            additional_diversity_factor=-0.45,
            reweight_factor=0.05)))

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='NumpyToPIL'),
    dict(type='torchvision/RandomRotation', degrees=15),
    dict(type='PILToNumpy'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='ExpertUsage'),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    # lr * (e + 1) / 5 for epochs e = 0..4 (0-based), as RIDE's CustomLR
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0, end=5),
    dict(type='MultiStepLR', by_epoch=True, milestones=[160, 180], gamma=0.01),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
# RIDE's reweight_epoch=160: DRW from (1-based) epoch 161
custom_hooks = [dict(type='DeferredReweightingHook', start_epoch=160)]
