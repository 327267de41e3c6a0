# DeiT-LT, DeiT-B/16 on CIFAR-100-LT IF100 (official sh/train_c100_if100.sh:
# the CIFAR-10 recipe), ResNet-32 teacher at 32 px; official head/mid/tail
# cut-offs [36, 71] (36 / 35 / 29 classes).
_base_ = './deit-lt_deit-b16_2xb128-1200e_cifar10lt-if100.py'
teacher_name = 'ldam-drw-sam_r32_1xb128-200e_cifar100lt-if100'
model = dict(
    head=dict(num_classes=100),
    teacher=dict(
        config=f'{{fileDirname}}/teachers/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth'))
data_preprocessor = dict(num_classes=100)
cifar100 = dict(type='CIFAR100LT', data_root='data/cifar100')
train_dataloader = dict(dataset=cifar100)
val_dataloader = dict(dataset=cifar100)
test_dataloader = val_dataloader
val_evaluator = dict(index_cutoffs=(36, 71))
test_evaluator = val_evaluator
