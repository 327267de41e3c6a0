# iNaturalist 2021 from the official json files (10,000 classes, 2.7M train
# / 100,000 val images). data_root holds train.json, val.json and the
# train/ and val/ trees (use ann_file='train_mini.json' for the mini set).
_base_ = './inat2018_384px.py'
data_preprocessor = dict(num_classes=10000)
train_dataloader = dict(dataset=dict(data_root='data/inat2021', version=2021))
val_dataloader = dict(dataset=dict(data_root='data/inat2021', version=2021))
test_dataloader = val_dataloader
