# GPaCo on Places-LT with an ImageNet-pretrained ResNet-152, the official
# recipe (GPaCo/LT/sh/LT/PlacesLT_train_R152.sh): the PaCo Places-LT setting
# (frozen convs but the last block, two SimCLR views, SGD 0.02, 30 epochs,
# mixed precision) without the momentum encoder, the GPaCo MLP, alpha 0.02.
_base_ = ['./paco_r152_4xb32-30e_placeslt.py']

model = dict(
    type='GPaCo',
    projector=dict(hid_channels=2048, num_layers=3, with_bn=False),
    head=dict(loss=dict(alpha=0.02)))
