# MetaFG-1 on CUB-200-2011 with the 312 binary attributes as one meta token
# (official MetaFG_meta_attribute_1 setting), 384 px, CUB recipe, meta
# masking curriculum 1 - e/E.
_base_ = [
    './_base_/metafg-0_384px.py',
    './_base_/cub-attribute_384px.py',
    './_base_/cub_schedule.py',
]
model = dict(
    type='MetaFGClassifier',
    backbone=dict(
        arch='1',
        meta_dims=(312, ),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/metafg_1_1k_384_mmlt.pth',
            prefix='backbone.')),
    head=dict(num_classes=200))
custom_hooks = [
    dict(type='MetaMaskCurriculumHook', mask_prob=1.0, mask_type='linear')
]
