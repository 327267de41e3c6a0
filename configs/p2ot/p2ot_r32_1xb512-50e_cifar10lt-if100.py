# P²OT for 32x32 images on CPU: ResNet-32 (last stage trained) started from
# a user checkpoint, cosine head of 10 clusters, CIFAR-10-LT IF100.
# Set the backbone checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    '../_base_/models/p2ot_resnet32-cifar.py',
    '../_base_/datasets/cifar10lt-if100_2view-32px_bs512.py',
    '../_base_/schedules/p2ot_adam-coslr-50e.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r32_cifar10-lt-complement.pth',
            prefix='backbone.')),
    head=dict(num_clusters=10))
custom_hooks = [
    # rho from 0.1 to 1 every iteration (sigmoid ramp, Eq. 7)
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    # solve on the 5,120-row logits bank from epoch 1 on (batch before)
    dict(type='LogitsBankHook', start_epoch=1),
]
