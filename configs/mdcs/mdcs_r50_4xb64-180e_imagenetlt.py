# MDCS on ImageNet-LT, the 180-epoch schedule (official
# config_imagenet_lt_resnet50_mdcs_e180.json: cosine over 180 epochs).
_base_ = './mdcs_r50_4xb64-400e_imagenetlt.py'
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=180,
        eta_min=0,
        by_epoch=True,
        begin=0,
        end=180)
]
train_cfg = dict(max_epochs=180)
