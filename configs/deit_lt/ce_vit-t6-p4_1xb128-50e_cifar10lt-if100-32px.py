# CPU evidence run, the baseline of
# deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py: the same small ViT
# (embed 192, 6 blocks, 3 heads, patch 4, 32 px) with a CLS token only, trained
# alone with the same data, augmentation, optimiser, schedule and recipe
# switch (Mixup/CutMix off and plain CE from 11/12 of the epochs), no teacher
# and nothing re-weighted: DeiT-LT's "ViT trained from scratch" row.
_base_ = './deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py'
# the student's backbone settings, loss, initialisation and Mixup/CutMix
model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(_base_.model.backbone, type='FastVisionTransformer'),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=192,
        loss=_base_.model.head.loss,
        init_cfg=_base_.model.head.init_cfg),
    init_cfg=_base_.model.init_cfg,
    train_cfg=_base_.model.train_cfg)
custom_hooks = [
    dict(type='DRWSwitchRecipeHook', start_ratio=11 / 12, reweight=False)
]
val_evaluator = dict(
    _delete_=True, type='ShotAccuracy', topk=(1, 5), index_cutoffs=(3, 7))
test_evaluator = val_evaluator
