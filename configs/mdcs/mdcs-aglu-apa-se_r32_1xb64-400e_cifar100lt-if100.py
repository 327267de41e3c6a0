# MDCS with the activations of APA (Alexandridis et al., ECCV 2024): the MDCS
# CIFAR-100-LT recipe on an expert-branch SE-ResNet-32 whose stem, shared
# stage and expert branches use AGLU and APA-SE gates (r=4), with no weight
# decay on the activations' lambda / kappa. No official code combines the
# two methods; everything else is mdcs_r32_1xb64-400e_cifar100lt-if100.py.
_base_ = './mdcs_r32_1xb64-400e_cifar100lt-if100.py'
model = dict(
    backbone=dict(
        type='ExpertSEResNetCifarAGLU', act_cfg=dict(type='AGLU'), se_ratio=4))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={
        'lambda_param': dict(decay_mult=0.),
        'kappa_param': dict(decay_mult=0.)
    }))
