# RIDE stage 1, iNaturalist 2018, ResNet-50: 2 experts (recipe as the 3-expert
# config).
_base_ = './ride-3e_r50_8xb64-100e_inat2018.py'
model = dict(backbone=dict(num_experts=2), head=dict(num_experts=2))
