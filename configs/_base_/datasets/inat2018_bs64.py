# iNaturalist 2018: data_root holds train_val2018/ and the lists
# iNaturalist18_{train,val}.txt; the val list is the test set.
_base_ = './imagenetlt_bs64.py'
dataset_type = 'INat2018'
data_root = 'data/inat2018'
data_preprocessor = dict(
    num_classes=8142,
    mean=[118.83, 120.105, 96.9],  # RIDE/Decoupling iNat statistics
    std=[49.725, 49.47, 48.96])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='iNaturalist18_train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='iNaturalist18_val.txt'))
test_dataloader = val_dataloader
