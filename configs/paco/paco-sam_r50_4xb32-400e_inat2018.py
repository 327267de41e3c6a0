# PaCo trained with SAM (rho 0.05), the DeiT-LT teacher recipe (its released
# students distil from PaCo + SAM ResNet-50 teachers). Everything else is
# ./paco_r50_4xb32-400e_inat2018.py.
_base_ = ['./paco_r50_4xb32-400e_inat2018.py']

optim_wrapper = dict(type='SAMOptimWrapper', rho=0.05)
