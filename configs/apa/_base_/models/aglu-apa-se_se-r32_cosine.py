# APA (Alexandridis et al., ECCV 2024) CIFAR model: SE-ResNet-32 with AGLU +
# APA-SE (r=4), cosine classifier (squash features, s=16) with IIF post-hoc
# logit adjustment at test time, trained with CE + Mixup(0.2).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='SEResNetCifarAGLU',
        depth=32,
        se_ratio=4,
        act_cfg=dict(type='AGLU')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='CosineClsHead',
        num_classes=100,
        in_channels=64,
        scale=16,
        init='linear',  # uniform(+-1/sqrt(d)), the official CosNorm init
        feature_norm='squash',
        posthoc='iif',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=0.2)))
