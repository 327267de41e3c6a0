# RIDE stage 1, ImageNet-LT, x50: 2 experts (recipe as the 3-expert config).
_base_ = './ride-3e_x50_8xb32-100e_imagenetlt.py'
model = dict(backbone=dict(num_experts=2), head=dict(num_experts=2))
