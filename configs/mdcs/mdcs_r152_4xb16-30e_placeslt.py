# MDCS on Places-LT with an ImageNet-pretrained ResNet-152 and 3 full-width
# experts (every expert's layer3/layer4 initialised from the same pretrained
# stages; official config_places_lt_resnet152_mdcs.json, 4 GPUs): batch 64
# per view, SGD 0.01 for the classifiers and 0.001 (share_lr) for the whole
# backbone (paramwise_cfg), Nesterov, wd 4e-4, x0.1 at epochs 10 and 20, 30
# epochs, no warm-up; the consistency weight ramps over 20 epochs as on
# every dataset. The official code loads OLTR's caffe ResNet-152; the
# pretrained weights here are torchvision-style (mmpretrain).
_base_ = [
    '../ride/ride-3e_r152_4xb32-30e_placeslt.py',
    './_base_/imagenet_views.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='MDCSLoss',
            prior_powers=(-0.5, 1., 2.5),
            cs_weight=0.6,
            temperature=1.)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            {{_base_.imagenet_weak_view}}, {{_base_.imagenet_strong_view}}
        ]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(base_batch_size=64)
custom_hooks = [
    dict(
        type='LossWeightRampHook',
        name='cs_weight',
        max_value=0.6,
        ramp_epochs=20)
]
