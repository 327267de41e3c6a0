# P²OT / SP²OT schedule: Adam 5e-4 (no weight decay), cosine per epoch down
# to 5e-7 over 50 epochs, batch 512. The method hooks (rho ramp, logits bank,
# SP²OT's kNN graph) are in each config's custom_hooks.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4, weight_decay=0.))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=50, eta_min=5e-7)
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=512)
