# RIDE + self-distillation, iNaturalist 2018, ResNet-50 with 4 experts, from
# the frozen 6-expert teacher (train ride-6e_r50_8xb64-100e_inat2018.py
# first); official config_iNaturalist_resnet50_distill_ride.json: T_d = 1.5,
# otherwise the stage-1 recipe. The official wrapper multiplies the whole
# objective by K; --cfg-options model.distill_scale_by_experts=True
# reproduces that.
_base_ = './ride-3e_r50_8xb64-100e_inat2018.py'
teacher_name = 'ride-6e_r50_8xb64-100e_inat2018'
ride_loss = dict(
    type='RIDELoss',
    max_m=0.5,
    s=30,
    additional_diversity_factor=-0.2,
    reweight_factor=0.015,
    distill_temperature=1.5,
    distill_factor=1.0)
model = dict(
    backbone=dict(num_experts=4),
    teacher_config=f'configs/ride/{teacher_name}.py',
    teacher_checkpoint=f'work_dirs/{teacher_name}/epoch_100.pth',
    distill_scale_by_experts=False,
    head=dict(num_experts=4, loss=ride_loss))
drw_epoch = 80
custom_hooks = [
    dict(
        type='DDPSwitchRecipeHook',
        schedule=[
            dict(action_epoch=drw_epoch + 1, loss=dict(ride_loss,
                                                        reweight=True))
        ]),
    dict(type='ClassCountsHook'),
    dict(type='ExpertFlopsHook', input_shape=(3, 224, 224)),
]
