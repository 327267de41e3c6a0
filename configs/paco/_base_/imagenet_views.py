# The views of the official PaCo / GPaCo ImageNet-LT, iNat and Places-LT
# recipes (paco_lt.py, paco_fp16_places.py), after LoadImageFromFile (BGR).
# RandAugment is the timm copy the official code ships (the same operation
# table as MDCS's, reused from configs/mdcs/_base_/imagenet_views.py):
# n2 m10 mstd0.5, translations up to 45 % of the size, geometric ops filled
# with the ImageNet mean pixel (on every dataset, as officially).
_base_ = '../../mdcs/_base_/imagenet_views.py'

# `randcls` (augmentation_randncls): RandomResizedCrop(224, scale (0.08, 1)),
# flip, ColorJitter(0.4, 0.4, 0.4, 0) always, RandAugment: MDCS's strong view
paco_randcls_view = {{_base_.imagenet_strong_view}}

# `sim` (augmentation_sim): RandomResizedCrop(224) (scale (0.08, 1)),
# ColorJitter(0.4, 0.4, 0.4, 0) always, grayscale p=0.2, Gaussian blur
# sigma U(0.1, 2) p=0.5, flip
paco_sim_view = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.299)),  # BGR
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]

# `randclsstack` (augmentation_randnclsstack): RandomResizedCrop(224, scale
# (0.08, 1)), flip, ColorJitter always, grayscale p=0.2, blur p=0.5, then
# RandAugment
paco_randclsstack_view = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.299)),  # BGR
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(
        type='RandAugment',
        policies={{_base_.timm_rand_policies}},
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
]
