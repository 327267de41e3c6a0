# MetaFG-0 (MetaFormer-0) on iNaturalist 2017, vision only, 384 px, fine-tuned
# from the ImageNet-1k 384 px checkpoint converted by
# tools/model_converters/metafg_to_mmlt.py (--drop-head --drop-meta).
_base_ = [
    './_base_/metafg-0_384px.py',
    './_base_/inat2017_384px.py',
    './_base_/adamw-300e.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/metafg_0_1k_384_mmlt.pth',
            prefix='backbone.')),
    head=dict(num_classes=5089))
