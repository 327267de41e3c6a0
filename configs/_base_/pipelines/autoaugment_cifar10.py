# AutoAugment CIFAR-10 policy (Cubuk et al., CVPR 2019), the one the APA
# CIFAR recipe applies through torchvision's AutoAugment(CIFAR10), written as
# mmpretrain AutoAugment sub-policies. torchvision's magnitude bin b of 10
# maps to: shear 0.3*b/9, translate (150/331)*b/9 of the image size, rotate
# 30*b/9 degrees, colour/brightness/contrast/sharpness factor 1 +- 0.9*b/9,
# posterize 8 - round(b/2.25) bits, solarize threshold 255*(1 - b/9); signed
# ops flip sign with p=0.5. Geometric ops fill 0 and interpolate bilinearly,
# as the APA (AGLU) code calls torchvision's AutoAugment (its default is
# nearest), set through AutoAugment(hparams=...).
_t = 150 / 331 / 9  # translate fraction per bin
cifar10_policies = [
    [
        dict(type='Invert', prob=0.1),
        dict(type='Contrast', magnitude=0.6, prob=0.2)
    ],
    [
        dict(type='Rotate', angle=30 / 9 * 2, prob=0.7),
        dict(
            type='Translate',
            magnitude=_t * 9,
            prob=0.3,
            direction='horizontal')
    ],
    [
        dict(type='Sharpness', magnitude=0.1, prob=0.8),
        dict(type='Sharpness', magnitude=0.3, prob=0.9)
    ],
    [
        dict(
            type='Shear',
            magnitude=0.3 / 9 * 8,
            prob=0.5,
            direction='vertical'),
        dict(
            type='Translate', magnitude=_t * 9, prob=0.7, direction='vertical')
    ],
    [dict(type='AutoContrast', prob=0.5),
     dict(type='Equalize', prob=0.9)],
    [
        dict(
            type='Shear',
            magnitude=0.3 / 9 * 7,
            prob=0.2,
            direction='vertical'),
        dict(type='Posterize', bits=5, prob=0.3)
    ],
    [
        dict(type='ColorTransform', magnitude=0.3, prob=0.4),
        dict(type='Brightness', magnitude=0.7, prob=0.6)
    ],
    [
        dict(type='Sharpness', magnitude=0.9, prob=0.3),
        dict(type='Brightness', magnitude=0.9, prob=0.7)
    ],
    [dict(type='Equalize', prob=0.6),
     dict(type='Equalize', prob=0.5)],
    [
        dict(type='Contrast', magnitude=0.7, prob=0.6),
        dict(type='Sharpness', magnitude=0.5, prob=0.6)
    ],
    [
        dict(type='ColorTransform', magnitude=0.7, prob=0.7),
        dict(
            type='Translate',
            magnitude=_t * 8,
            prob=0.5,
            direction='horizontal')
    ],
    [dict(type='Equalize', prob=0.3),
     dict(type='AutoContrast', prob=0.4)],
    [
        dict(
            type='Translate', magnitude=_t * 3, prob=0.4,
            direction='vertical'),
        dict(type='Sharpness', magnitude=0.6, prob=0.2)
    ],
    [
        dict(type='Brightness', magnitude=0.6, prob=0.9),
        dict(type='ColorTransform', magnitude=0.8, prob=0.2)
    ],
    [
        dict(type='Solarize', thr=255 / 9 * 7, prob=0.5),
        dict(type='Invert', prob=0.0)
    ],
    [dict(type='Equalize', prob=0.2),
     dict(type='AutoContrast', prob=0.6)],
    [dict(type='Equalize', prob=0.2),
     dict(type='Equalize', prob=0.6)],
    [
        dict(type='ColorTransform', magnitude=0.9, prob=0.9),
        dict(type='Equalize', prob=0.6)
    ],
    [
        dict(type='AutoContrast', prob=0.8),
        dict(type='Solarize', thr=255 / 9 * 1, prob=0.2)
    ],
    [
        dict(type='Brightness', magnitude=0.3, prob=0.1),
        dict(type='ColorTransform', magnitude=0.0, prob=0.7)
    ],
    [
        dict(type='Solarize', thr=255 / 9 * 4, prob=0.4),
        dict(type='AutoContrast', prob=0.9)
    ],
    [
        dict(
            type='Translate', magnitude=_t * 9, prob=0.9,
            direction='vertical'),
        dict(
            type='Translate', magnitude=_t * 9, prob=0.7, direction='vertical')
    ],
    [
        dict(type='AutoContrast', prob=0.9),
        dict(type='Solarize', thr=255 / 9 * 6, prob=0.8)
    ],
    [dict(type='Equalize', prob=0.8),
     dict(type='Invert', prob=0.1)],
    [
        dict(
            type='Translate', magnitude=_t * 9, prob=0.7,
            direction='vertical'),
        dict(type='AutoContrast', prob=0.9)
    ],
]
cifar10_autoaugment = dict(
    type='AutoAugment',
    policies=cifar10_policies,
    hparams=dict(pad_val=0, interpolation='bilinear'))

# The same policy as the CIFAR10Policy of the PIL AutoAugment code that MDCS,
# SHIKE and PaCo use (DeepVoltaire/AutoAugment): geometric ops filled with
# gray 128, shears bicubic, translations and rotations nearest, rotations
# always counter-clockwise, solarize thresholds on a 256 scale.
cifar10_autoaugment_pil = dict(
    type='AutoAugment',
    policies=[[
        dict(op, interpolation='bicubic') if op['type'] == 'Shear' else
        dict(op, random_negative_prob=0.) if op['type'] == 'Rotate' else
        dict(op, thr=op['thr'] * 256 / 255) if op['type'] == 'Solarize' else op
        for op in sub
    ] for sub in cifar10_policies],
    hparams=dict(pad_val=128, interpolation='nearest'))
