# The two views MDCS trains with on ImageNet-LT / Places-LT (official
# imagenet_lt_data_loaders.py, places_loader.py; used for iNat too), after
# LoadImageFromFile (BGR):
# - weak: RandomResizedCrop(224), flip, ColorJitter(0.4, 0.4, 0.4);
# - strong: RandomResizedCrop(224, scale (0.08, 1)), flip, ColorJitter(0.4,
#   0.4, 0.4) always, RandAugment n2 m10 mstd0.5 with the operation set of
#   the timm version the official code ships (`_RAND_TRANSFORMS`, whose
#   posterize and solarize get milder as the magnitude grows, unlike
#   mmpretrain's 'timm_increasing'), translations up to 45 % of the size,
#   geometric ops filled with the mean pixel. timm picks bilinear or bicubic
#   interpolation at random; mmpretrain uses one (bicubic).
imagenet_weak_view = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
]
timm_rand_policies = [
    dict(type='AutoContrast'),
    dict(type='Equalize'),
    dict(type='Invert'),
    dict(type='Rotate', magnitude_range=(0, 30)),
    dict(type='Posterize', magnitude_range=(0, 4)),
    dict(type='Solarize', magnitude_range=(0, 256)),
    dict(type='SolarizeAdd', magnitude_range=(0, 110)),
    dict(type='ColorTransform', magnitude_range=(0, 0.9)),
    dict(type='Contrast', magnitude_range=(0, 0.9)),
    dict(type='Brightness', magnitude_range=(0, 0.9)),
    dict(type='Sharpness', magnitude_range=(0, 0.9)),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
]
imagenet_strong_view = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(
        type='RandAugment',
        policies=timm_rand_policies,
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
]
