# CUB-200-2011 with precomputed caption embeddings as meta: text_root holds
# one .npy per image (same relative path as under images/, e.g.
# 001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.npy) of shape
# (10 captions, 32 words, 768) - the BERT word embeddings of the 10 captions
# of text_c10 (Reed et al.). Training uses a random caption per sample,
# evaluation always caption 0 (deterministic).
_base_ = './cub_384px.py'
text_root = 'data/CUB_200_2011/bert_embedding_cub'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=384,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[103.53, 116.28, 123.675],
        fill_std=[57.375, 57.12, 58.395]),
    dict(type='TextEmbeddingMeta', caption_index=None),
    dict(type='PackInputs', algorithm_keys=['meta']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=438,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=384),
    dict(type='TextEmbeddingMeta', caption_index=0),
    dict(type='PackInputs', algorithm_keys=['meta']),
]
train_dataloader = dict(
    dataset=dict(
        meta_type='text', text_root=text_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        meta_type='text', text_root=text_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='ShotAccuracy', topk=(1, 5)),
    dict(type='MetaMaskedShotAccuracy', topk=(1, 5)),
]
test_evaluator = val_evaluator
