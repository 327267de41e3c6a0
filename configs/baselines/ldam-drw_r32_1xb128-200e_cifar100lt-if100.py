# LDAM-DRW (Cao et al., NeurIPS 2019): cosine classifier (s=30, unit-norm
# class vectors at init as the official NormedLinear) + LDAM loss; from
# epoch 161 on the loss is re-weighted by the effective number (DRW).
_base_ = './ce_r32_1xb128-200e_cifar100lt-if100.py'
model = dict(
    head=dict(
        type='CosineClsHead',
        scale=30,
        loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30)))
custom_hooks = [dict(type='DeferredReweightingHook', start_epoch=160)]
