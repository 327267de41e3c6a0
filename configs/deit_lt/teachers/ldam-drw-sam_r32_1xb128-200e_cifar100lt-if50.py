# LDAM-DRW + SAM teacher, CIFAR-100-LT IF50 (the IF100 recipe).
_base_ = './ldam-drw-sam_r32_1xb128-200e_cifar100lt-if100.py'
train_dataloader = dict(dataset=dict(imb_factor=50))
