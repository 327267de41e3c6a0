# PaCo trained with SAM (sharpness-aware minimisation, rho 0.05): the DeiT-LT
# teacher recipe (its released students distil from PaCo + SAM ResNet-32
# teachers). Everything else is ./paco_r32_1xb128-400e_cifar10lt-if100.py.
_base_ = ['./paco_r32_1xb128-400e_cifar10lt-if100.py']

optim_wrapper = dict(type='SAMOptimWrapper', rho=0.05)
