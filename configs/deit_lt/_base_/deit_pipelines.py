# The DeiT-LT students' data pipelines (helper variables; each student config
# picks its pair). Training: timm's create_transform(224, is_training=True,
# auto_augment='rand-m9-mstd0.5-inc1', re_prob=0.25, re_mode='pixel',
# interpolation='bicubic') -- colour jitter is unused with RandAugment;
# test: short edge to 256, centre crop 224, both bicubic. RandAugment pads
# and RandomErasing fills with the mean pixel in the channel order of the
# images, so each input kind has its own train pipeline:
# - deit_train_pipeline / deit_test_pipeline: arrays (CIFAR, RGB),
#   normalised with timm's ImageNet mean/std;
# - deit_file_train_pipeline / deit_file_test_pipeline: image files (loaded
#   BGR; the data preprocessor converts them to RGB);
# - deit_32px_train_pipeline: the 32-px CPU evidence run, RandomCrop(32, 4)
#   instead of RandomResizedCrop and the CIFAR bases' mean/std.

# timm's ImageNet mean/std (RGB), DeiT-LT's normalisation on every data set
imagenet_mean = [123.675, 116.28, 103.53]
imagenet_std = [58.395, 57.12, 57.375]


def _train_pipeline(mean, std, crop=None):
    """``crop`` (default RandomResizedCrop 224, bicubic), flip, RandAugment
    and RandomErasing with the mean pixel ``mean``, PackInputs."""
    return [
        crop or dict(
            type='RandomResizedCrop',
            scale=224,
            backend='pillow',
            interpolation='bicubic'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(
            type='RandAugment',
            policies='timm_increasing',
            num_policies=2,
            total_level=10,
            magnitude_level=9,
            magnitude_std=0.5,
            hparams=dict(
                pad_val=[round(x) for x in mean], interpolation='bicubic')),
        dict(
            type='RandomErasing',
            erase_prob=0.25,
            mode='rand',
            min_area_ratio=0.02,
            max_area_ratio=1 / 3,
            fill_color=mean,
            fill_std=std),
        dict(type='PackInputs'),
    ]


deit_train_pipeline = _train_pipeline(imagenet_mean, imagenet_std)
deit_test_pipeline = [
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
deit_file_train_pipeline = [
    dict(type='LoadImageFromFile'),
    *_train_pipeline(imagenet_mean[::-1], imagenet_std[::-1]),  # BGR
]
deit_file_test_pipeline = [
    dict(type='LoadImageFromFile'),
    *deit_test_pipeline,
]
deit_32px_train_pipeline = _train_pipeline(
    # the LDAM-DRW normalisation of the CIFAR bases (the teacher's inputs)
    [125.307, 122.961, 113.8575],
    [51.5865, 50.847, 51.255],
    crop=dict(type='RandomCrop', crop_size=32, padding=4))
