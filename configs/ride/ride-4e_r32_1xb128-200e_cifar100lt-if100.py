# RIDE stage 1, CIFAR-100-LT IF100: 4 experts (recipe as the 3-expert config).
_base_ = './ride-3e_r32_1xb128-200e_cifar100lt-if100.py'
model = dict(backbone=dict(num_experts=4), head=dict(num_experts=4))
