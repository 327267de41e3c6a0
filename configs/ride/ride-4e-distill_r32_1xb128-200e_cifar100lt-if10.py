# RIDE + self-distillation, CIFAR-100-LT IF10: 4 experts (recipe and teacher
# as the 3-expert distillation config).
_base_ = './ride-3e-distill_r32_1xb128-200e_cifar100lt-if10.py'
model = dict(backbone=dict(num_experts=4), head=dict(num_experts=4))
