# NABirds (23,929 train / 24,633 test images, 555 classes); data_root is the
# nabirds folder. Pipelines as iNat.
_base_ = './inat2018_384px.py'
dataset_type = 'NABirds'
data_root = 'data/nabirds'
data_preprocessor = dict(num_classes=555)
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
