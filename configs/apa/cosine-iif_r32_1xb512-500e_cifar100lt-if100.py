# An ablation of the APA CIFAR recipe: the plain ResNet-32 (ReLU, option-A
# shortcuts, no SE) with APA's classifier (cosine, squash features, s=16,
# IIF at test time) and training recipe, so that the gain of AGLU + APA-SE
# (aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py) can be told apart
# from the classifier's.
_base_ = './aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNet32Cifar', depth=32, shortcut='A'))
