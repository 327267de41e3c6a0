# RIDE + self-distillation, CIFAR-100-LT IF50, 3 experts: the recipe of
# ride-3e-distill_r32_1xb128-200e_cifar100lt-if100.py with the IF50 data and
# teacher (train ride-6e_r32_1xb128-200e_cifar100lt-if50.py first).
_base_ = './ride-3e-distill_r32_1xb128-200e_cifar100lt-if100.py'
teacher_name = 'ride-6e_r32_1xb128-200e_cifar100lt-if50'
train_dataloader = dict(dataset=dict(imb_factor=50))
model = dict(
    teacher=dict(
        config=f'{{fileDirname}}/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth'))
