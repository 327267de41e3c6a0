# RIDE stage 2 (expert-assignment router), CIFAR-100-LT IF100, on the
# ride-4e stage-1 model (run it first): the recipe of
# ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py with 4 experts.
_base_ = './ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py'
stage1_name = 'ride-4e_r32_1xb128-200e_cifar100lt-if100'
load_from = f'work_dirs/{stage1_name}/epoch_200.pth'
model = dict(
    backbone=dict(num_experts=4),
    head=dict(num_experts=4),
    router=dict(num_experts=4))
