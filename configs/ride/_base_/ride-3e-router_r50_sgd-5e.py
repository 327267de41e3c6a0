# RIDE stage 2 (expert-assignment router) on ImageNet-scale data, without
# the dataset: the stage-1 model of ride-3e_r50_sgd-100e.py with everything
# but the router frozen (BatchNorm in eval mode); 5 epochs, SGD 0.01
# Nesterov, wd 5e-4, cosine to 0, BCE pos_weight 100, top-50 mean logits as
# router input (official *_ride_ea.json). Children add the dataset, batch 512
# with class-balanced sampling and `load_from` (the stage-1 checkpoint).
_base_ = './ride-3e_r50_sgd-100e.py'
model = dict(
    type='RIDERouterClassifier',
    router=dict(
        type='RIDERouterHead',
        in_channels=1536,
        num_classes=1000,
        num_experts=3,
        top_choices=50,
        loss=dict(type='RIDERouterLoss', pos_weight=100.)))
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
