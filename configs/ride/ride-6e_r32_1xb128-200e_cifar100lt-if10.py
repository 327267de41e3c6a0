# RIDE stage 1, CIFAR-100-LT IF10: the 6-expert teacher for the distillation
# configs (recipe as the 3-expert config).
_base_ = './ride-3e_r32_1xb128-200e_cifar100lt-if10.py'
model = dict(backbone=dict(num_experts=6), head=dict(num_experts=6))
