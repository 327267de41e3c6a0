# Places-LT (OLTR split) on Places365-Standard 256x256 images: data_root
# holds the image folders named in Places_LT_{train,val,test}.txt.
_base_ = './imagenetlt_bs64.py'
dataset_type = 'PlacesLT'
data_root = 'data/places365'
data_preprocessor = dict(num_classes=365)
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root,
        ann_file='Places_LT_train.txt'))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='Places_LT_val.txt'))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='Places_LT_test.txt'))
