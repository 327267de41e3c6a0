# RIDE (Wang et al., ICLR 2021) stage 1 on ImageNet-scale data, without the
# dataset: ResNet-50 with shared conv1-layer2 and 3 reduced-width experts
# (layer3/layer4 planes 192/384, 1536-d features), cosine classifiers
# (s=30), per-expert LDAM + diversity loss (lambda=-0.2, the RIDELoss
# default the official ImageNet-LT/iNat configs keep).
# Recipe (official config_imagenet_lt_resnet50_ride.json): SGD 0.1 for batch
# 256, Nesterov, wd 2e-4, 100 epochs, warm-up lr*(e+1)/5 for 5 epochs, x0.1
# at epochs 60 and 80; DRW from epoch 81 (temperature gamma=0.02).
_base_ = ['../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ExpertResNet', depth=50, num_experts=3, reduce_dimension=True),
    head=dict(
        type='MultiExpertClsHead',
        num_classes=1000,
        in_channels=1536,
        num_experts=3,
        scale=30,
        loss=dict(
            type='RIDELoss',
            max_m=0.5,
            s=30,
            additional_diversity_factor=-0.2,
            reweight_factor=0.02)))
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='ExpertUsage'),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4, nesterov=True))
param_scheduler = [
    # lr * (e + 1) / 5 for epochs e = 0..4
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0, end=5),
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
# DRW from (1-based) epoch 81
custom_hooks = [dict(type='DeferredReweightingHook', start_epoch=80)]
