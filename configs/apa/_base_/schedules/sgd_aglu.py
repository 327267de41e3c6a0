# The optimiser of the APA recipes: SGD without weight decay on AGLU / APA's
# lambda and kappa. Children set lr, weight decay, param_scheduler and
# train_cfg.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={
        'lambda_param': dict(decay_mult=0.),
        'kappa_param': dict(decay_mult=0.)
    }))
val_cfg = dict()
test_cfg = dict()
