# RIDE stage 1, ImageNet-LT, ResNeXt-50 with 4 experts: the student of the
# 4-expert distillation config (recipe as the 3-expert config).
_base_ = './ride-3e_x50_8xb32-100e_imagenetlt.py'
model = dict(backbone=dict(num_experts=4), head=dict(num_experts=4))
