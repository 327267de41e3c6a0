# Balanced Softmax on ImageNet-LT.
_base_ = './ce_r50_8xb64-90e_imagenetlt.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
