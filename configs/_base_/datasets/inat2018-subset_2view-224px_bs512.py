# iNaturalist 2018 subsets for clustering (P²OT protocol): the classes are
# ranked by training count and nested strided subsets of 100 / 500 / 1000
# classes are taken (re-indexed by that ranking); train = their iNat18 train
# images, test = their val images (3 per class). data_root holds
# train_val2018/ and iNaturalist18_{train,val}.txt.
_base_ = './imagenet-r-lt_2view-224px_bs512.py'
dataset_type = 'INat2018Subset'
data_root = 'data/inat2018'
num_classes = 100
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='iNaturalist18_train.txt',
        num_classes=num_classes,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='iNaturalist18_val.txt',
        ranking_file='iNaturalist18_train.txt',
        num_classes=num_classes,
        pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(num_classes=num_classes)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
