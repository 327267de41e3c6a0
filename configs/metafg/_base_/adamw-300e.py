# MetaFormer's schedule: AdamW (betas 0.9/0.999, eps 1e-8), wd 0.05 (none
# on 1-d parameters, biases and the CLS tokens), base lr 1e-4 per 512 images
# (5e-5 for 8 GPUs x 32), 20 linear warm-up epochs from 5e-7 / 1e-4 of it,
# cosine per iteration to 1e-5 / 1e-4 of it over the 300 epochs, gradient
# norm clipped at 5.
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=5e-5, betas=(0.9, 0.999), eps=1e-8,
        weight_decay=0.05),
    paramwise_cfg=dict(
        flat_decay_mult=0.,
        bias_decay_mult=0.,
        norm_decay_mult=0.,
        custom_keys={'.cls_token': dict(decay_mult=0.)}),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    # overlapping, as timm's scheduler: the cosine spans all 300 epochs and
    # the warm-up scales its first 20 (within 0.6 % of the base lr of
    # timm's CosineLRScheduler at every iteration)
    dict(
        type='LinearLR',
        start_factor=5e-3,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=300,
        eta_min=5e-6,
        by_epoch=True,
        begin=0,
        end=300,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
