# The R101 variant: SE-ResNet-101 AGLU + APA-SE, the cosine mask predictor
# with a fixed temperature of 20 and mmdet's deconv upsampling (no CARAFE),
# as in the official R101 config.
_base_ = './mask-rcnn_se-r50-aglu-apa_fpn_gumbel-droploss_rfs1e-3_ms-2x_lvis-v1.py'  # noqa: E501

pretrained = 'checkpoints/se-r101-aglu-apa_in1k.pth'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(
        mask_head=dict(
            type='FCNMaskHead',
            upsample_cfg=dict(_delete_=True, type='deconv', scale_factor=2),
            predictor_cfg=dict(
                _delete_=True, type='NormedConv2d', tempearture=20))))
