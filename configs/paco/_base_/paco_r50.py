# PaCo with a ResNet-50 (the official paco_lt.py on ImageNet-LT / iNat): the
# torchvision-layout ResNet-50, global average pooling to the 2048-d
# features of the linear classifier (the class centres), the MoCo v2 MLP
# 2048-2048(BN, ReLU)-128 (--mlp, --moco-dim 128), queue 8192 (--moco-k),
# momentum 0.999 (--moco-m; momentum=0.001 here, mmpretrain's convention,
# the PaCo default), T 0.2 (--moco-t), alpha 0.05, beta = gamma = 1.
# Recipe: SGD 0.02 for a total batch of 128 (4 GPUs x 32), momentum 0.9, wd
# 5e-4 on every parameter, 400 epochs: warm-up lr * (e + 1) / 10 for the
# first 10 epochs, then lr * (1 + cos(pi (e - 9) / 391)) / 2 (exactly as
# paco_lt.py's adjust_learning_rate, per epoch). The CIFAR ResNet-32 configs
# reuse it with their sizes, lr and schedule.
model = dict(
    type='PaCo',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    projector=dict(
        type='PaCoProjector',
        in_channels=2048,
        out_channels=128,
        num_layers=2,
        with_bn=True),
    head=dict(
        type='PaCoHead',
        num_classes=1000,
        in_channels=2048,
        init_cfg=None,  # PyTorch's default Linear init, as the official
        loss=dict(
            type='PaCoLoss', alpha=0.05, beta=1., gamma=1., temperature=0.2)),
    queue_len=8192,
    feat_dim=128)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    # lr * (e + 1) / 10 for epochs e = 0..9
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10),
    # from epoch 9 (lr): lr * (1 + cos(pi * (e - 9) / 391)) / 2
    dict(
        type='CosineAnnealingLR',
        T_max=391,
        eta_min=0.,
        by_epoch=True,
        begin=9,
        end=400),
]
train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
