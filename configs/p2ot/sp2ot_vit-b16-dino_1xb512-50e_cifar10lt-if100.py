# SP²OT on CIFAR-10-LT IF100 (same recipe, 10 clusters).
_base_ = [
    '../_base_/models/sp2ot_vit-b16-dino.py',
    '../_base_/datasets/cifar10lt-if100_2view-224px_bs512.py',
    '../_base_/schedules/p2ot_adam-coslr-50e.py',
]
model = dict(head=dict(num_clusters=10))
custom_hooks = [
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    dict(type='LogitsBankHook', start_epoch=0),
    # kNN graph (k=20, Gaussian sigma=2) of the initial backbone features of
    # the training set (test pipeline), built before training
    dict(type='KNNGraphHook', k=20, sigma=2.0),
]
