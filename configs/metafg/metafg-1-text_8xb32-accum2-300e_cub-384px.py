# MetaFG-1 on CUB-200-2011 with caption word embeddings as meta tokens
# (official MetaFG_meta_bert_1 setting); otherwise as the MetaFG-0 config.
_base_ = './metafg-0-text_8xb32-accum2-300e_cub-384px.py'
model = dict(
    backbone=dict(
        arch='1',
        init_cfg=dict(checkpoint='checkpoints/metafg_1_1k_384_mmlt.pth')))
