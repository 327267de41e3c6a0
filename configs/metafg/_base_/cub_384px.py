# CUB-200-2011 (5,994 train / 5,794 test images, 200 classes); data_root is
# the CUB_200_2011 folder. Pipelines as iNat (MetaFormer uses one pipeline
# for every data set).
_base_ = './inat2018_384px.py'
dataset_type = 'CUBMeta'
data_root = 'data/CUB_200_2011'
data_preprocessor = dict(num_classes=200)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
