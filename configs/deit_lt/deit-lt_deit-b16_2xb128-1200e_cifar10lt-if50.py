# DeiT-LT, DeiT-B/16 on CIFAR-10-LT IF50 (official sh/train_c10_if50.sh: the
# IF100 recipe), ResNet-32 teacher trained on the same IF50 set.
_base_ = './deit-lt_deit-b16_2xb128-1200e_cifar10lt-if100.py'
teacher_name = 'ldam-drw-sam_r32_1xb128-200e_cifar10lt-if50'
model = dict(
    teacher=dict(
        config=f'{{fileDirname}}/teachers/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth'))
train_dataloader = dict(dataset=dict(imb_factor=50))
