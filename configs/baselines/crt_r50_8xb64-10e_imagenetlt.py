# cRT stage 2 on ImageNet-LT: frozen stage-1 backbone, new linear classifier,
# class-balanced sampling, 10 epochs, cosine lr 0.2 (batch 512).
_base_ = './ce_r50_8xb64-90e_imagenetlt.py'
stage1_checkpoint = 'work_dirs/ce_r50_8xb64-90e_imagenetlt/epoch_90.pth'
model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='backbone.')))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassBalancedSampler'))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=10, by_epoch=True, begin=0, end=10)
]
train_cfg = dict(max_epochs=10, val_interval=5)
