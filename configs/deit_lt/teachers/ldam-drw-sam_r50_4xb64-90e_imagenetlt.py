# LDAM-DRW + SAM teacher, ResNet-50 on ImageNet-LT (official: batch 256,
# SGD 0.2 cosine, wd 2e-4, LDAM margin 0.3, DRW from epoch 61, rho 0.05 for
# 5 epochs, 0.1 until epoch 60, then 0.5; teacher top-1 53.1).
_base_ = '../../baselines/ldam-drw_r50_8xb64-90e_imagenetlt.py'
model = dict(head=dict(loss=dict(max_m=0.3)))
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,
    optimizer=dict(lr=0.2, weight_decay=2e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=90, by_epoch=True, begin=0, end=90),
    # rho is a parameter-group value: 0.05 -> 0.1 at epoch 5 -> 0.5 at 60
    dict(
        type='MultiStepParamScheduler',
        param_name='rho',
        milestones=[5],
        gamma=2.,
        by_epoch=True),
    dict(
        type='MultiStepParamScheduler',
        param_name='rho',
        milestones=[60],
        gamma=5.,
        by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=256)
