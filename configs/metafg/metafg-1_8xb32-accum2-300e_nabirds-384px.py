# MetaFG-1 (MetaFormer-1) on NABirds, vision only, 384 px, with the CUB
# recipe of the official README, from the ImageNet-1k 384 px checkpoint.
_base_ = [
    './_base_/metafg-0_384px.py',
    './_base_/nabirds_384px.py',
    './_base_/cub_schedule.py',
]
model = dict(
    backbone=dict(
        arch='1',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/metafg_1_1k_384_mmlt.pth',
            prefix='backbone.')),
    head=dict(num_classes=555))
