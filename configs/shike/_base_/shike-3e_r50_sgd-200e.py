# SHIKE on ImageNet-scale data, without the dataset. The official code covers
# CIFAR-100-LT only, so this recipe is OUR CHOICE, following the CIFAR one:
# ResNet-50 shared through layer3, one layer4 per expert (3 experts, full
# width), depth-wise fusion from layer1 / layer2 / layer3 (3 / 2 / 1
# stride-2 conv+BN blocks to 2048 channels at 7x7), cosine classifiers
# (s=30); DKT loss for 180 epochs, then 20 epochs of re-training a second
# classifier set with Balanced Softmax. SGD 0.1 for batch 256 (momentum 0.9,
# wd 5e-4), 5 warm-up epochs then cosine, restarted for stage 2 as on CIFAR.
_base_ = ['../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ExpertResNet',
        depth=50,
        num_experts=3,
        num_shared_stages=3,
        reduce_dimension=False,
        fusion=dict(taps=('layer1', 'layer2', 'layer3'))),
    head=dict(
        type='SHIKEHead',
        num_classes=1000,
        in_channels=2048,
        num_experts=3,
        scale=30,
        loss=dict(type='DKTLoss', hns_weight=10., mutual_weight=1.),
        stage2_loss=dict(type='LogitAdjustedLoss', tau=1.)))
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='ExpertUsage'),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0, end=5),
    dict(
        type='CosineAnnealingLR',
        T_max=176,
        eta_min=0.,
        by_epoch=True,
        begin=4,
        end=180),
    # stage 2, from the restarted lr: warm-up 0.25x -> 2/3x, then cosine
    dict(
        type='LinearLR',
        start_factor=0.25,
        end_factor=2 / 3,
        by_epoch=True,
        begin=180,
        end=186),
    dict(
        type='CosineAnnealingLR',
        T_max=15,
        eta_min=0.,
        by_epoch=True,
        begin=185,
        end=200),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
custom_hooks = [
    dict(
        type='ClassifierRetrainingHook',
        start_epoch=180,
        trainable=('head.rt_classifiers', ))
]
find_unused_parameters = True
