# MetaFG-0 (MetaFormer-0) on iNaturalist 2017 with the spatio-temporal meta
# (date -> 4-d, location -> 3-d; one meta token each), 384 px, from the
# ImageNet-1k 384 px checkpoint. Meta masking curriculum: the meta of a
# fraction 1 - e/E of every batch is zeroed at epoch e of E.
_base_ = [
    './_base_/metafg-0_384px.py',
    './_base_/inat2017-meta_384px.py',
    './_base_/adamw-300e.py',
]
model = dict(
    type='MetaFGClassifier',
    backbone=dict(
        meta_dims=(4, 3),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/metafg_0_1k_384_mmlt.pth',
            prefix='backbone.')),
    head=dict(num_classes=5089))
custom_hooks = [
    dict(type='MetaMaskCurriculumHook', mask_prob=1.0, mask_type='linear')
]
