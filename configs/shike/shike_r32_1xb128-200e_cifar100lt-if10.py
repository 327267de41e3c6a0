# SHIKE, CIFAR-100-LT IF10: the IF100 recipe (the official code covers IF100
# only; Balanced Softmax gets the counts of this split).
_base_ = './shike_r32_1xb128-200e_cifar100lt-if100.py'
train_dataloader = dict(dataset=dict(imb_factor=10))
