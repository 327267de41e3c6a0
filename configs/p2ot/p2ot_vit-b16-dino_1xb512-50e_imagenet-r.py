# P²OT on ImageNet-R (200 classes, naturally long-tailed train split,
# balanced 20-per-class test split), 1 head.
_base_ = [
    '../_base_/models/p2ot_vit-b16-dino.py',
    '../_base_/datasets/imagenet-r-lt_2view-224px_bs512.py',
    '../_base_/schedules/p2ot_adam-coslr-50e.py',
]
model = dict(head=dict(num_clusters=200))
custom_hooks = [
    # rho from 0.1 to 1 every iteration (sigmoid ramp, Eq. 7)
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    # solve on the 5,120-row logits bank from epoch 1 on (batch before)
    dict(type='LogitsBankHook', start_epoch=1),
]
