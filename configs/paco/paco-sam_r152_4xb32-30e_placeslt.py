# PaCo on Places-LT trained with SAM (rho 0.05) and mixed precision
# (AmpSAMOptimWrapper). The SAM perturbation moves every parameter with a
# gradient, the frozen (lr_mult 0) convs too, where the official frozen
# convs (requires_grad=False) would have none. Everything else is
# ./paco_r152_4xb32-30e_placeslt.py.
_base_ = ['./paco_r152_4xb32-30e_placeslt.py']

optim_wrapper = dict(type='AmpSAMOptimWrapper', rho=0.05)
