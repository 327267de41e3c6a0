# How to use mmlt from a stock mmpretrain config: import mmlt, then name its
# components. Only `custom_imports` and the changed keys are needed; the rest
# is mmpretrain's own ResNet-18 CIFAR-10 recipe (resolved from the installed
# mmpretrain package).
_base_ = 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'
custom_imports = dict(imports=['mmlt'], allow_failed_imports=False)

# CIFAR-10-LT (IF 100) instead of CIFAR-10; test set stays balanced.
train_dataloader = dict(
    dataset=dict(type='CIFAR10LT', imb_factor=100, data_root='data/cifar10'))
val_dataloader = dict(dataset=dict(type='CIFAR10LT', data_root='data/cifar10'))
test_dataloader = val_dataloader
# Balanced Softmax instead of cross-entropy.
model = dict(head=dict(loss=dict(_delete_=True, type='LogitAdjustedLoss')))
# Overall + many/medium/few accuracy.
val_evaluator = dict(_delete_=True, type='ShotAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
# The hook that gives the class counts to the loss and the metric.
custom_hooks = [dict(type='ClassCountsHook')]
# mmlt's safety hooks (in mmlt's own default runtime; added here because this
# config starts from mmpretrain's): stop at the first NaN/inf loss before a
# NaN checkpoint is written; average BatchNorm buffers over DDP ranks before
# validation and checkpointing.
default_hooks = dict(
    finite_loss=dict(type='FiniteLossHook'),
    sync_buffers=dict(type='SyncBuffersHook'))
