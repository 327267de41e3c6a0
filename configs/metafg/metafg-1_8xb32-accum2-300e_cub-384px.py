# MetaFG-1 (MetaFormer-1) on CUB-200-2011, vision only, 384 px: the recipe
# of the official README (8 GPUs x 32, 2 accumulation steps, lr 5e-5),
# from the ImageNet-1k 384 px checkpoint (use metafg_1_21k_384 or
# metafg_1_inat21_384 for the other rows of the results table).
_base_ = [
    './_base_/metafg-0_384px.py',
    './_base_/cub_384px.py',
    './_base_/cub_schedule.py',
]
model = dict(
    backbone=dict(
        arch='1',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/metafg_1_1k_384_mmlt.pth',
            prefix='backbone.')),
    head=dict(num_classes=200))
