# MetaFormer's CUB / NABirds recipe (README): 8 GPUs x 32 with 2 gradient
# accumulation steps (512 images per update), lr 5e-5 (min 5e-7, warm-up
# from 5e-8) - the values after the official lr scaling - 20 warm-up and
# 300 epochs; otherwise adamw-300e.py.
_base_ = './adamw-300e.py'
optim_wrapper = dict(optimizer=dict(lr=5e-5), accumulative_counts=2)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=300,
        eta_min=5e-7,
        by_epoch=True,
        begin=0,
        end=300,
        convert_to_iter_based=True),
]
