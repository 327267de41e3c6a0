# APA (Alexandridis et al., ECCV 2024) ImageNet-scale model: SE-ResNet-50
# with AGLU + APA-SE (r=16), cosine classifier (squash features, s=16) with
# IIF post-hoc logit adjustment at test time, trained with CE + Mixup(0.2).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='SEResNetAGLU',
        depth=50,
        se_ratio=16,
        act_cfg=dict(type='AGLU'),
        out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='CosineClsHead',
        num_classes=1000,
        in_channels=2048,
        scale=16,
        init='linear',  # uniform(+-1/sqrt(d)), the official CosNorm init
        feature_norm='squash',
        posthoc='iif',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=0.2)))
