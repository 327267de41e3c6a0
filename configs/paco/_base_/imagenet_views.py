# The views of the official PaCo / GPaCo ImageNet-LT, iNat and Places-LT
# recipes (paco_lt.py, paco_fp16_places.py), after LoadImageFromFile (BGR).
# RandAugment is the timm copy the official code ships (the same operation
# table as MDCS's, reused from configs/mdcs/_base_/imagenet_views.py):
# n2 m10 mstd0.5, translations up to 45 % of the size, geometric ops filled
# with the ImageNet mean pixel (on every dataset, as officially).
_base_ = '../../mdcs/_base_/imagenet_views.py'

# `randcls` (augmentation_randncls): RandomResizedCrop(224, scale (0.08, 1)),
# flip, ColorJitter(0.4, 0.4, 0.4, 0) always, RandAugment: MDCS's strong view
paco_randcls_view = _base_.imagenet_strong_view
# grayscale p=0.2, Gaussian blur sigma U(0.1, 2) p=0.5 (`sim`, `randclsstack`)
paco_gray_blur = [
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
]

# `sim` (augmentation_sim): RandomResizedCrop(224) (scale (0.08, 1)),
# ColorJitter(0.4, 0.4, 0.4, 0) always, grayscale p=0.2, Gaussian blur
# sigma U(0.1, 2) p=0.5, flip
paco_sim_view = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    *paco_gray_blur,
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]

# `randclsstack` (augmentation_randnclsstack): RandomResizedCrop(224, scale
# (0.08, 1)), flip, ColorJitter always, grayscale p=0.2, blur p=0.5, then
# RandAugment: MDCS's strong view with grayscale and blur before RandAugment
paco_randclsstack_view = [
    *_base_.imagenet_strong_view[:-1],
    *paco_gray_blur,
    _base_.imagenet_strong_view[-1],
]
