# MetaFG-0 (MetaFormer-0, Diao et al., arXiv 2203.02751) at 384 px,
# vision only: CLS tokens of stages 3 and 4 fused by MetaFGHead; label
# smoothing 0.1 with Mixup(0.8) / CutMix(1.0) (switch 0.5); drop path 0.1.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MetaFG', arch='0', img_size=384, drop_path_rate=0.1),
    head=dict(
        type='MetaFGHead',
        num_classes=1000,
        in_channels=768,
        cls1_channels=384,
        loss=dict(
            type='LabelSmoothLoss',
            label_smooth_val=0.1,
            mode='original',
            loss_weight=1.0)),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]))
