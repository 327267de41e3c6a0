# ImageNet-scale training pipeline of the APA recipes (ImageNet-LT,
# Places-LT; the ImageNet-1K stage crops 192): RandomResizedCrop + flip +
# AutoAugment(ImageNet policy), geometric ops bilinear, filled with the
# mean pixel (BGR).
imagenet_autoaugment_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies='imagenet',
        hparams=dict(pad_val=[104, 116, 124], interpolation='bilinear')),
    dict(type='PackInputs'),
]
