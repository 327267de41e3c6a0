# LDAM-DRW on ImageNet-LT: cosine classifier (s=30), DRW from epoch 61.
_base_ = './ce_r50_8xb64-90e_imagenetlt.py'
model = dict(
    head=dict(
        type='CosineClsHead',
        scale=30,
        loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30)))
custom_hooks = [dict(type='DeferredReweightingHook', start_epoch=60)]
