# RIDE on ImageNet-LT with ResNet-50 and 3 experts, stage 1: the short name
# users run (`python tools/train.py configs/ride/ride_r50_imagenetlt.py`,
# `bash tools/dist_train.sh configs/ride/ride_r50_imagenetlt.py 8`). Same as
# ride-3e_r50_8xb32-100e_imagenetlt.py (global batch 256 = 8 GPUs x 32).
_base_ = './ride-3e_r50_8xb32-100e_imagenetlt.py'
