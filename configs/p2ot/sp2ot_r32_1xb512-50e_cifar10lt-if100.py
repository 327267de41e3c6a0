# SP²OT for 32x32 images on CPU (ResNet-32, CIFAR-10-LT IF100).
_base_ = './p2ot_r32_1xb512-50e_cifar10lt-if100.py'
model = dict(
    head=dict(
        pseudo_labeler=dict(
            type='SemanticPartialOTPseudoLabeler',
            lam_init=1000.,
            eta=1.0,
            max_outer=100,
            outer_tol=1e-6,
            tol=1e-10)))
custom_hooks = [
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    dict(type='LogitsBankHook', start_epoch=0),
    # kNN graph (k=20, Gaussian sigma=2) of the initial backbone features of
    # the training set (test pipeline), built before training
    dict(type='KNNGraphHook', k=20, sigma=2.0),
]
