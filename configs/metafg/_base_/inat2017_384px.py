# iNaturalist 2017 from the official json files (5,089 classes, 579,184
# train / 95,986 val images). data_root holds train2017.json, val2017.json
# and the train_val_images/ tree. Pipelines as iNat 2018.
_base_ = './inat2018_384px.py'
data_preprocessor = dict(num_classes=5089)
train_dataloader = dict(dataset=dict(data_root='data/inat2017', version=2017))
val_dataloader = dict(dataset=dict(data_root='data/inat2017', version=2017))
test_dataloader = val_dataloader
