# RIDE stage 1, 3 experts, CIFAR-100-LT IF50 (recipe as the IF100 config).
_base_ = './ride-3e_r32_1xb128-200e_cifar100lt-if100.py'
train_dataloader = dict(dataset=dict(imb_factor=50))
