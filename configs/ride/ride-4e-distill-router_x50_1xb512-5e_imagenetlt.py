# RIDE stage 2 (expert-assignment router), ImageNet-LT, x50, on the
# ride-4e-distill stage-1 model (run it first): everything but the router
# frozen (BatchNorm in eval mode), 5 epochs, batch 512 on 1 GPU, class-balanced
# sampling, SGD 0.01 Nesterov, wd 5e-4, cosine to 0, BCE pos_weight 100, top-50
# mean logits as router input (official *_ride_ea.json).
_base_ = './ride-4e-distill_x50_8xb32-100e_imagenetlt.py'
stage1_name = 'ride-4e-distill_x50_8xb32-100e_imagenetlt'
load_from = f'work_dirs/{stage1_name}/epoch_100.pth'
model = dict(
    type='RIDERouterClassifier',
    teacher_config=None,
    teacher_checkpoint=None,
    distill_scale_by_experts=False,
    router=dict(
        type='RIDERouterHead',
        in_channels=1536,
        num_classes=1000,
        num_experts=4,
        top_choices=50,
        loss=dict(type='RIDERouterLoss', pos_weight=100.)))
train_dataloader = dict(
    batch_size=512, sampler=dict(_delete_=True, type='ClassBalancedSampler'))
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=5, eta_min=0, by_epoch=True,
         begin=0, end=5)
]
train_cfg = dict(max_epochs=5, val_interval=5)
auto_scale_lr = dict(base_batch_size=512)
custom_hooks = [
    dict(type='ClassCountsHook'),
    dict(type='ExpertFlopsHook', input_shape=(3, 224, 224)),
]
