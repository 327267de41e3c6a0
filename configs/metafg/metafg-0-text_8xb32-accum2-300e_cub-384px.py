# MetaFG-0 on CUB-200-2011 with caption word embeddings as meta tokens
# (official MetaFG_meta_bert_0 setting: 32 words x 768-d BERT embeddings of
# one caption), 384 px, CUB recipe, meta masking curriculum 1 - e/E.
_base_ = [
    './_base_/metafg-0_384px.py',
    './_base_/cub-text_384px.py',
    './_base_/cub_schedule.py',
]
model = dict(
    type='MetaFGClassifier',
    backbone=dict(
        meta_dims=(768, ),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/metafg_0_1k_384_mmlt.pth',
            prefix='backbone.')),
    head=dict(num_classes=200))
custom_hooks = [
    dict(type='MetaMaskCurriculumHook', mask_prob=1.0, mask_type='linear')
]
