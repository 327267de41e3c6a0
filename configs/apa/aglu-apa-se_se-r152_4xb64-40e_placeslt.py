# Places-LT recipe of APA (Alexandridis et al., ECCV 2024), stage 2:
# fine-tune layer4 + the classifier of the stage-1 SE-ResNet-152 (AGLU +
# APA-SE, ImageNet-1K, aglu-apa-se_se-r152_4xb64-100e_in1k.py). As the
# official --fn_places: the stem and layer1-3 are frozen, every lambda/kappa
# of layer4 is refilled with one U(0, 1) draw; cosine classifier with a
# learnable scale s^2 (s initialised to 5, `lr_cosine`, squash features), IIF
# at test time; CE with label smoothing 0.1 + Mixup(0.2) / CutMix(1.0);
# RandomResizedCrop 224 + flip + AutoAugment(ImageNet); SGD 0.1 (batch
# 4x64), wd 5e-5 (none on lambda/kappa), 3 warm-up epochs from x0.01,
# cosine over 40 epochs.
_base_ = [
    './_base_/models/aglu-apa-se_se-r50_cosine.py',
    '../_base_/datasets/placeslt_bs64.py',
    './_base_/schedules/sgd_aglu.py',
    '../_base_/default_runtime.py',
    './_base_/imagenet_pipeline.py',
]
stage1_checkpoint = \
    'work_dirs/aglu-apa-se_se-r152_4xb64-100e_in1k/epoch_100.pth'

model = dict(
    backbone=dict(
        depth=152,
        frozen_stages=3,
        reinit_act_stages=(3, ),
        init_cfg=dict(
            type='Pretrained', checkpoint=stage1_checkpoint,
            prefix='backbone.')),
    head=dict(
        num_classes=365,
        scale=25,
        learnable_scale=True,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.2),
        dict(type='CutMix', alpha=1.0),
    ]))

train_dataloader = dict(
    dataset=dict(pipeline={{_base_.imagenet_autoaugment_pipeline}}))

optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=5e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=4),
    dict(type='CosineAnnealingLR', T_max=37, eta_min=0., by_epoch=True,
         begin=3, end=40),
]
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=5)
auto_scale_lr = dict(base_batch_size=256)
