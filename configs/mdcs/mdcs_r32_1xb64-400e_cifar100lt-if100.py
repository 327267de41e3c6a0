# MDCS (Zhao et al., ICCV 2023) on CIFAR-100-LT IF100: the RIDE ResNet-32
# (shared stem + layer1, 3 reduced-width experts, cosine classifiers s=30)
# trained with the MDCS loss: per-expert prior-shifted CE (lambda = -0.5, 1,
# 2.5) on both views + consistency self-distillation from the weak to the
# strong view over the confident instances (weight 0.6 * min(epoch / 20, 1)).
# Two views per image, weak first: the RIDE CIFAR augmentation; RandomCrop +
# flip + AutoAugment (CIFAR10Policy) + Cutout(16). Batch 64 per view.
# Recipe (official config_cifar100_ir100_mdcs.json): SGD 0.1, Nesterov, wd
# 5e-4, 400 epochs, warm-up lr*(e+1)/20 for 20 epochs, x0.1 at epochs 200,
# 320 and 380. Test: mean of the experts' raw logits.
_base_ = [
    '../ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
    '../_base_/pipelines/autoaugment_cifar10.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='MDCSLoss',
            prior_powers=(-0.5, 1., 2.5),
            cs_weight=0.6,
            temperature=1.)))

weak_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='NumpyToPIL'),
    dict(type='torchvision/RandomRotation', degrees=15),
    dict(type='PILToNumpy'),
]
# near the top / left borders mmcv's Cutout shifts its 16-pixel hole inside
# the image where the official one (torch tensor code) clips it
strong_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    {{_base_.cifar10_autoaugment_pil}},
    dict(type='Cutout', shape=16, pad_val=0, prob=1.),
]
train_pipeline = [
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[weak_view, strong_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))

param_scheduler = [
    # lr * (e + 1) / 20 for epochs e = 0..19
    dict(type='LinearLR', start_factor=0.05, by_epoch=True, begin=0, end=20),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[200, 320, 380],
        gamma=0.1),
]
train_cfg = dict(max_epochs=400)
auto_scale_lr = dict(base_batch_size=64)
custom_hooks = [
    dict(
        type='LossWeightRampHook',
        name='cs_weight',
        max_value=0.6,
        ramp_epochs=20)
]
