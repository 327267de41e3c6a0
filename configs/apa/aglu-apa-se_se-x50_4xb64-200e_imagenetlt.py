# APA on ImageNet-LT with SE-ResNeXt-50 (32x4d), AGLU + APA-SE; otherwise
# the SE-R50 recipe.
_base_ = './aglu-apa-se_se-r50_4xb64-200e_imagenetlt.py'

model = dict(backbone=dict(type='SEResNeXtAGLU', groups=32, width_per_group=4))
