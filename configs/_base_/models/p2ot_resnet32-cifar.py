# P²OT clustering model for 32x32 images on CPU: ResNet-32 (CIFAR) of which
# only the last stage trains, global average pooling, cosine clustering head.
# The backbone starts from a user checkpoint (``backbone.init_cfg``).
model = dict(
    type='P2OTClustering',
    backbone=dict(
        type='ResNet32Cifar', depth=32, shortcut='A', frozen_stages=2),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='CosineClusterHead',
        in_channels=64,
        num_clusters=10,
        num_heads=1,
        logit_scale=10.,
        eval_head='min_loss',
        pseudo_labeler=dict(
            type='PartialOTPseudoLabeler',
            bank_size=5120,
            epsilon=0.1,
            lam=1.0,
            tol=1e-6,
            max_iter=1000),
        loss=dict(type='CrossEntropyLoss', use_soft=True)))
