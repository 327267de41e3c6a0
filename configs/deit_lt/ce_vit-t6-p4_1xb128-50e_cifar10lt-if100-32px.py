# CPU evidence run, the baseline of
# deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py: the same small ViT
# (embed 192, 6 blocks, 3 heads, patch 4, 32 px) with a CLS token only, trained
# alone with the same data, augmentation, optimiser, schedule and recipe
# switch (Mixup/CutMix off and plain CE from 11/12 of the epochs), no teacher
# and nothing re-weighted: DeiT-LT's "ViT trained from scratch" row.
_base_ = './deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py'
model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='FastVisionTransformer',  # ViT, the student's fast blocks
        arch=dict(
            embed_dims=192,
            num_layers=6,
            num_heads=3,
            feedforward_channels=768),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=192,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0)
    ]))
custom_hooks = [
    dict(type='DRWSwitchRecipeHook', start_ratio=11 / 12, reweight=False)
]
val_evaluator = dict(
    _delete_=True, type='ShotAccuracy', topk=(1, 5), index_cutoffs=(3, 7))
test_evaluator = val_evaluator
