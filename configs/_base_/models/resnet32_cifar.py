# ResNet-32 (option-A shortcuts) with a linear classifier, for CIFAR-LT.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet32Cifar', depth=32, shortcut='A'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LTLinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
