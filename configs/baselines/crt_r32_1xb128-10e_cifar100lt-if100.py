# Classifier re-training (cRT, Kang et al., ICLR 2020), stage 2: the backbone
# of the stage-1 CE model is loaded and frozen (BN in eval mode), a new linear
# classifier is trained for 10 epochs with class-balanced sampling.
# Run the stage-1 config first (it writes the checkpoint named below).
_base_ = './ce_r32_1xb128-200e_cifar100lt-if100.py'
stage1_checkpoint = \
    'work_dirs/ce_r32_1xb128-200e_cifar100lt-if100/epoch_200.pth'
model = dict(
    backbone=dict(
        frozen_stages=3,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='backbone.')))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassBalancedSampler'))
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=10, by_epoch=True, begin=0, end=10)
]
train_cfg = dict(max_epochs=10, val_interval=5)
