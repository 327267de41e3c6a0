# P²OT clustering model: DINO ViT-B/16 of which only the last block trains
# (patch embedding, blocks 0-10 and the final norm frozen), cosine clustering
# head (unit prototypes, logits x10) trained on P²OT pseudo-labels solved on
# a 5,120-row logits bank. Convert the official DINO weights first:
#   python tools/model_converters/dino_to_mmlt.py \
#       dino_vitbase16_pretrain.pth checkpoints/dino_vitb16_mmlt.pth
model = dict(
    type='P2OTClustering',
    backbone=dict(
        type='PartialFinetuneViT',
        arch='b',
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        frozen_stages=11,
        drop_rate=0.,
        drop_path_rate=0.,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/dino_vitb16_mmlt.pth')),
    head=dict(
        type='CosineClusterHead',
        in_channels=768,
        num_clusters=100,
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
