# LDAM-DRW + SAM (Rangwani et al., "Escaping Saddle Points for Effective
# Generalization on Class-Imbalanced Data", NeurIPS 2022): the flat CNN
# teacher of DeiT-LT. The LDAM-DRW recipe (ResNet-32, cosine classifier,
# LDAM m=0.5 s=30, DRW from epoch 161, SGD 0.1 wd 2e-4, x0.01 at 160 and 180)
# trained with SAM, rho 0.8 (the official CIFAR-100-LT and CIFAR-10-LT runs).
_base_ = '../../baselines/ldam-drw_r32_1xb128-200e_cifar100lt-if100.py'
optim_wrapper = dict(type='SAMOptimWrapper', rho=0.8)
