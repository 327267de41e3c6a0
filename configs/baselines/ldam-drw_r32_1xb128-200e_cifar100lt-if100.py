# LDAM-DRW (Cao et al., NeurIPS 2019): cosine classifier (s=30) + LDAM loss;
# from epoch 161 on the loss is re-weighted by the effective number (DRW).
_base_ = './ce_r32_1xb128-200e_cifar100lt-if100.py'
ldam = dict(type='LDAMLoss', max_m=0.5, s=30)
model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=100,
        in_channels=64,
        scale=30,
        loss=ldam))
custom_hooks = [
    dict(
        type='DDPSwitchRecipeHook',
        schedule=[
            dict(
                action_epoch=161,
                loss=dict(ldam, reweight='effective_num', beta=0.9999))
        ]),
    dict(type='ClassCountsHook'),
]
