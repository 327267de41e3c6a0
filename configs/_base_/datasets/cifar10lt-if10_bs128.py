_base_ = './cifar10lt-if100_bs128.py'
train_dataloader = dict(dataset=dict(imb_factor=10))
