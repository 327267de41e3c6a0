# SP²OT on ImageNet-R (200 classes).
_base_ = [
    '../_base_/models/sp2ot_vit-b16-dino.py',
    '../_base_/datasets/imagenet-r-lt_2view-224px_bs512.py',
    '../_base_/schedules/p2ot_adam-coslr-50e.py',
]
model = dict(head=dict(num_clusters=200))
custom_hooks = [
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    dict(type='LogitsBankHook', start_epoch=0),
    # kNN graph (k=20, Gaussian sigma=2) of the initial backbone features of
    # the training set (test pipeline), built before training
    dict(type='KNNGraphHook', k=20, sigma=2.0),
]
