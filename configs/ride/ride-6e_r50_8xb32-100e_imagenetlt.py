# RIDE stage 1, ImageNet-LT, r50: the 6-expert teacher of the distillation
# configs (recipe as the 3-expert config).
_base_ = './ride-3e_r50_8xb32-100e_imagenetlt.py'
model = dict(backbone=dict(num_experts=6), head=dict(num_experts=6))
