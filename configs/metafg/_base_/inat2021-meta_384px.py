# iNaturalist 2021 with the spatio-temporal meta: `date`, `latitude` and
# `longitude` of each image entry of train.json / val.json.
_base_ = './inat2018-meta_384px.py'
data_preprocessor = dict(num_classes=10000)
train_dataloader = dict(dataset=dict(data_root='data/inat2021', version=2021))
val_dataloader = dict(dataset=dict(data_root='data/inat2021', version=2021))
test_dataloader = val_dataloader
