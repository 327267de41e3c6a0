# Balanced Softmax (Ren et al., NeurIPS 2020) = logit-adjusted CE with tau=1.
_base_ = './ce_r32_1xb128-200e_cifar100lt-if100.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
