# SHIKE (Jin et al., CVPR 2023) on CIFAR-100-LT IF100: ResNet-32 with option-B
# shortcuts, shared stem + layer1 + layer2 and one layer3 per expert (3
# experts, full width); depth-wise knowledge fusion multiplies each expert's
# layer3 map by an aligned shallow map (taps layer1, layer2, layer1 through 2,
# 1, 2 stride-2 conv+BN blocks); cosine classifiers (s=30).
# Stage 1 (epochs 1-180): DKT loss (CE + 10 x hardest-negative suppression +
# mutual KL, the official 'mean' KL reduction). Stage 2 (epochs 181-200): only
# a second, fresh classifier set is trained, with Balanced Softmax; BatchNorm
# statistics of the frozen network keep updating (official).
# Recipe (official cifarTrain.py): the first n_c images of each class (no
# shuffle), RandomCrop + flip + AutoAugment (CIFAR10Policy) + Cutout(16),
# batch 128, SGD momentum 0.9 (no Nesterov), wd 5e-4; lr 0.025, 0.05, ...,
# 0.125 in the first 5 epochs, 0.15 at epoch 6, cosine to 0 at epoch 180;
# stage 2 restarts at 0.0375 and warms up to 0.1 (epoch 186), then cosine.
# The official code trains with AMP on a GPU (use --amp there).
_base_ = [
    '../_base_/datasets/cifar100lt-if100_bs128.py',
    '../_base_/default_runtime.py',
    '../_base_/pipelines/autoaugment_cifar10.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ExpertResNetCifar',
        depth=32,
        shortcut='B',
        num_experts=3,
        num_shared_stages=2,
        reduce_dimension=False,
        fusion=dict(taps=('layer1', 'layer2', 'layer1'))),
    head=dict(
        type='SHIKEHead',
        num_classes=100,
        in_channels=64,
        num_experts=3,
        scale=30,
        loss=dict(type='DKTLoss', hns_weight=10., mutual_weight=1.),
        stage2_loss=dict(type='LogitAdjustedLoss', tau=1.)))

# near the top / left borders mmcv's Cutout shifts its 16-pixel hole inside
# the image where the official one (torch tensor code) clips it
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    {{_base_.cifar10_autoaugment_pil}},
    dict(type='Cutout', shape=16, pad_val=0, prob=1.),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(selection='first', pipeline=train_pipeline))
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='ExpertUsage'),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.15, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    # stage 1: (e + 1) / 6 * 0.15 for e = 0..5, cosine from epoch 6 to 180
    dict(type='LinearLR', start_factor=1 / 6, by_epoch=True, begin=0, end=6),
    dict(
        type='CosineAnnealingLR',
        T_max=175,
        eta_min=0.,
        by_epoch=True,
        begin=5,
        end=180),
    # stage 2 (the lr restarts at 0.15, see ClassifierRetrainingHook):
    # 0.0375 .. 0.1 over 6 epochs, cosine over the last 15
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
auto_scale_lr = dict(base_batch_size=128)
custom_hooks = [
    dict(
        type='ClassifierRetrainingHook',
        start_epoch=180,
        trainable=('head.rt_classifiers', ))
]
# unused in one of the stages: the second / the first classifier set
find_unused_parameters = True
