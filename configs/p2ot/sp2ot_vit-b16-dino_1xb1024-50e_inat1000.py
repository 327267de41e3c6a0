# SP²OT on iNaturalist 2018, 1000-class subset: batch 1024, bank of 10,240
# rows filled at epoch 1 (the official iNat1000 command).
_base_ = './sp2ot_vit-b16-dino_1xb512-50e_inat100.py'
num_classes = 1000
model = dict(
    head=dict(num_clusters=num_classes, pseudo_labeler=dict(bank_size=10240)))
train_dataloader = dict(batch_size=1024, dataset=dict(num_classes=num_classes))
val_dataloader = dict(dataset=dict(num_classes=num_classes))
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=num_classes)
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='RhoRampHook', rho_start=0.1, rho_end=1.0, strategy='sigmoid'),
    dict(type='LogitsBankHook', start_epoch=1),
    dict(type='KNNGraphHook', k=20, sigma=2.0),
]
auto_scale_lr = dict(base_batch_size=1024)
