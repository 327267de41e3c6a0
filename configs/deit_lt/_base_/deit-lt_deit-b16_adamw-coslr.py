# DeiT-LT student recipe (Rangwani et al., CVPR 2024): a DeiT-B/16 with CLS
# and DIST tokens trained from scratch, distilled from a frozen CNN teacher
# that sees the same (RandAugment-ed, Mixup/CutMix-ed) batch. Children add a
# dataset base, pick their pipelines from ./deit_pipelines.py, and set the
# teacher and the schedule length.
#
# - loss = 0.5 * LabelSmooth(0.1)(CLS, Mixup/CutMix targets)
#        + 0.5 * CE(DIST, teacher argmax), re-weighted from the DRW epoch on
# - prediction = mean of the CLS and DIST logits; ShotAccuracy also reports
#   the CLS-only (lt/cls_*) and DIST-only (lt/dist_*) accuracies
# - AdamW (eps 1e-8, wd 0.05, no decay on norms, biases and tokens), lr 5e-4
#   x (batch per GPU x GPUs) / 512 -- gradient accumulation is NOT part of
#   the scaling; 5 linear warm-up epochs from 1e-6, cosine to 1e-5, both
#   per iteration; no gradient clipping; model EMA not used
_base_ = ['../../_base_/default_runtime.py', './deit_pipelines.py']

model = dict(
    type='TeacherStudentClassifier',
    # mmpretrain's DistilledVisionTransformer with timm's qkv.unbind and
    # mask-scaled drop path (same weights, keys and math, faster on CPU)
    backbone=dict(
        type='FastDistilledVisionTransformer',
        arch='deit-base',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='DeiTLTHead',
        num_classes=1000,
        in_channels=768,
        alpha=0.5,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        distill_loss=dict(
            type='DeiTLTDistillLoss', distill_type='hard', beta=0.9999),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
    # Mixup 0.8 / CutMix 1.0, one of the two per batch (timm: switch prob
    # 0.5, mix prob 1.0); off from the DRW epoch (DRWSwitchRecipeHook)
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0)
    ]),
    # the frozen teacher: a config + its checkpoint (children set them); it
    # gets the student's batch as is (no re-normalisation, as the official
    # code), resized bicubically when its input_size differs
    teacher=dict(
        config=None, checkpoint=None, input_size=None,
        interpolation='bicubic'))

base_lr = 5e-4  # for 512 images per optimiser step over all GPUs
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW',
        lr=base_lr,
        weight_decay=0.05,
        eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
)
# The cosine has no `end`: it ends at train_cfg.max_epochs (mmengine's
# default), so a shorter --cfg-options train_cfg.max_epochs=N shortens it.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6 / base_lr,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=1400, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=512)

# DRW from epoch K (0-based: K epochs without re-weighting): class-balanced
# (beta 0.9999) weights on the distillation loss indexed by the teacher's
# class, Mixup/CutMix off, CLS loss plain CE (no smoothing)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_epoch=1200)]

val_evaluator = dict(
    type='ShotAccuracy', topk=(1, 5), branches=('cls', 'dist'))
test_evaluator = val_evaluator
