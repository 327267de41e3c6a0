# P²OT on CIFAR-100-LT IF100: DINO ViT-B/16 (last block trained), 2 cosine
# heads of 100 clusters (the lowest-loss head is evaluated), 50 epochs.
_base_ = [
    '../_base_/models/p2ot_vit-b16-dino.py',
    '../_base_/datasets/cifar100lt-if100_2view-224px_bs512.py',
    '../_base_/schedules/p2ot_adam-coslr-50e.py',
]
model = dict(head=dict(num_clusters=100, num_heads=2))
custom_hooks = [
    # rho from 0.1 to 1 every iteration (sigmoid ramp, Eq. 7)
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    # solve on the 5,120-row logits bank from epoch 1 on (batch before)
    dict(type='LogitsBankHook', start_epoch=1),
]
