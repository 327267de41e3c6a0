# MetaFG-0 from scratch on Tiny-ImageNet-200-LT (IF100) at 64 px, vision only:
# a small real-data run of the whole pipeline (MetaFG backbone, MetaFGHead,
# ShotAccuracy), not a MetaFormer recipe. Trains on every 3rd image of the
# train list (7,183 images; the class profile kept, 167 ... 1 per class) so
# that it fits a 2-core CPU; tests on the full balanced val set with the shot
# groups of the full train list (70 many / 70 medium / 60 few). AdamW lr 1e-3
# (batch 128), wd 0.05, 1 warm-up epoch, cosine; label smoothing 0.1, no
# Mixup / CutMix.
_base_ = [
    './_base_/metafg-0_384px.py',
    '../_base_/datasets/tinyimagenetlt_bs128.py',
    './_base_/adamw-300e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(img_size=64), head=dict(num_classes=200), train_cfg=None)
train_dataloader = dict(dataset=dict(indices=list(range(0, 21549, 3))))
val_evaluator = dict(
    type='ShotAccuracy',
    topk=(1, 5),
    ann_file='data/tiny-imagenet-200-lt/train_lt_if100.txt')
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=3,
        eta_min=1e-5,
        by_epoch=True,
        begin=1,
        end=4,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2)
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(logger=dict(interval=20))
