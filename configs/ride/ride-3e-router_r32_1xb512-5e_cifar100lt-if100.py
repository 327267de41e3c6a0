# RIDE stage 2 (expert-assignment router), CIFAR-100-LT IF100, on the
# ride-3e stage-1 model (run it first). Everything but the router is frozen
# (BatchNorm in eval mode); 5 epochs, batch 512, class-balanced sampling,
# SGD 0.01 Nesterov, wd 5e-4, cosine to 0 (official *_ride_ea.json); BCE with
# pos_weight 100, top-30 mean logits as router input.
_base_ = './ride-3e_r32_1xb128-200e_cifar100lt-if100.py'
stage1_name = 'ride-3e_r32_1xb128-200e_cifar100lt-if100'
load_from = f'work_dirs/{stage1_name}/epoch_200.pth'
model = dict(
    type='RIDERouterClassifier',
    router=dict(
        type='RIDERouterHead',
        in_channels=48,
        num_classes=100,
        num_experts=3,
        top_choices=30,
        loss=dict(type='RIDERouterLoss', pos_weight=100.),
        # the official CIFAR model Kaiming-initialises its Linear layers
        init_cfg=dict(type='Kaiming', layer='Linear', mode='fan_in')))
train_dataloader = dict(
    batch_size=512, sampler=dict(_delete_=True, type='ClassBalancedSampler'))
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=5,
        eta_min=0,
        by_epoch=True,
        begin=0,
        end=5)
]
train_cfg = dict(max_epochs=5, val_interval=5)
auto_scale_lr = dict(base_batch_size=512)
custom_hooks = []  # no DRW: the stage-1 loss is not trained here
