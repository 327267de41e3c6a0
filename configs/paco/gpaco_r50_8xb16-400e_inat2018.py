# GPaCo on iNaturalist 2018 with ResNet-50, the official recipe
# (GPaCo/LT/sh/LT/Inat_train_R50.sh): the PaCo iNat setting without the
# momentum encoder, the GPaCo MLP, alpha 0.05, SGD 0.04 for a total batch of
# 128 on 8 GPUs (16 each), wd 1e-4, the same views (--aug randcls_sim).
_base_ = ['./paco_r50_4xb32-400e_inat2018.py']

model = dict(
    type='GPaCo',
    projector=dict(hid_channels=2048, num_layers=3, with_bn=False))
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.04))
