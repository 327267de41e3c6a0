# LDAM-DRW on ImageNet-LT: cosine classifier (s=30), DRW from epoch 61.
_base_ = './ce_r50_8xb64-90e_imagenetlt.py'
ldam = dict(type='LDAMLoss', max_m=0.5, s=30)
model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=1000,
        in_channels=2048,
        scale=30,
        loss=ldam))
custom_hooks = [
    dict(
        type='DDPSwitchRecipeHook',
        schedule=[
            dict(
                action_epoch=61,
                loss=dict(ldam, reweight='effective_num', beta=0.9999))
        ]),
    dict(type='ClassCountsHook'),
]
