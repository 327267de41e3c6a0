# RIDE + self-distillation, CIFAR-100-LT IF100, 3 experts: the student gets
# KL(teacher || student) on the mean logits (T_d = 1.5, alpha = 1) from the
# frozen 6-expert teacher (train ride-6e_r32_1xb128-200e_cifar100lt-if100.py
# first; its last checkpoint is expected under work_dirs/, or give it with
# --cfg-options model.teacher.checkpoint=PATH). Official
# config_imbalance_cifar100_distill_ride.json: 20 warm-up epochs. The
# official wrapper also multiplies the whole objective by K; add
# --cfg-options model.head.loss.distill_scale_by_experts=True for that.
_base_ = './ride-3e_r32_1xb128-200e_cifar100lt-if100.py'
teacher_name = 'ride-6e_r32_1xb128-200e_cifar100lt-if100'
model = dict(
    type='TeacherStudentClassifier',
    teacher=dict(
        config=f'{{fileDirname}}/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth'),
    head=dict(loss=dict(distill_temperature=1.5, distill_factor=1.0)))
param_scheduler = [
    # lr * (e + 1) / 20 for epochs e = 0..19
    dict(type='LinearLR', start_factor=0.05, by_epoch=True, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, milestones=[160, 180], gamma=0.01),
]
