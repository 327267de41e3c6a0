# PaCo on ImageNet-LT with ResNet-50, the official recipe
# (PaCo/LT/sh/ImageNetLT_train_R50.sh, paco_lt.py): model and schedule in
# _base_/paco_r50.py (moco-dim 128, queue 8192, T 0.2, alpha 0.05, SGD 0.02,
# wd 5e-4, 400 epochs, 10 warm-up epochs then cosine), a total batch of 128
# (4 GPUs x 32), two views (--aug randcls_sim): query RandAugment view, key
# SimCLR view (see _base_/imagenet_views.py).
# The official code selects its checkpoint on ImageNet_LT_test.txt; here
# validation uses ImageNet_LT_val.txt and the last epoch is reported.
_base_ = [
    '../_base_/datasets/imagenetlt_bs64.py',
    '../_base_/default_runtime.py',
    './_base_/paco_r50.py',
    './_base_/imagenet_views.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[{{_base_.paco_randcls_view}}, {{_base_.paco_sim_view}}]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32, drop_last=True, dataset=dict(pipeline=train_pipeline))
