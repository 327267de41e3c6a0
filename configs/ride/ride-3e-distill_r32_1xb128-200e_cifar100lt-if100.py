# RIDE + self-distillation, CIFAR-100-LT IF100, 3 experts: the student gets
# KL(teacher || student) on the mean logits (T_d = 1.5, alpha = 1) from the
# frozen 6-expert teacher (train ride-6e_r32_1xb128-200e_cifar100lt-if100.py
# first). Official config_imbalance_cifar100_distill_ride.json: 20 warm-up
# epochs. The official wrapper also multiplies the whole objective by K; add
# --cfg-options model.distill_scale_by_experts=True to reproduce that.
_base_ = './ride-3e_r32_1xb128-200e_cifar100lt-if100.py'
teacher_name = 'ride-6e_r32_1xb128-200e_cifar100lt-if100'
ride_loss = dict(
    type='RIDELoss',
    max_m=0.5,
    s=30,
    additional_diversity_factor=-0.45,
    reweight_factor=0.05,
    distill_temperature=1.5,
    distill_factor=1.0)
model = dict(
    teacher_config=f'configs/ride/{teacher_name}.py',
    teacher_checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth',
    distill_scale_by_experts=False,
    head=dict(loss=ride_loss))
param_scheduler = [
    # lr * (e + 1) / 20 for epochs e = 0..19
    dict(type='LinearLR', start_factor=0.05, by_epoch=True, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, milestones=[160, 180],
         gamma=0.01),
]
drw_epoch = 160
custom_hooks = [
    dict(
        type='DDPSwitchRecipeHook',
        schedule=[
            dict(action_epoch=drw_epoch + 1, loss=dict(ride_loss,
                                                        reweight=True))
        ]),
    dict(type='ClassCountsHook'),
    dict(type='ExpertFlopsHook', input_shape=(3, 32, 32)),
]
