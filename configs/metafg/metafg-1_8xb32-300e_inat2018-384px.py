# MetaFG-1 (MetaFormer-1) on iNaturalist 2018, vision only, 384 px,
# from the ImageNet-1k 384 px checkpoint; otherwise as MetaFG-0.
_base_ = './metafg-0_8xb32-300e_inat2018-384px.py'
model = dict(
    backbone=dict(
        arch='1',
        init_cfg=dict(checkpoint='checkpoints/metafg_1_1k_384_mmlt.pth')),
    head=dict(in_channels=768, cls1_channels=384))
