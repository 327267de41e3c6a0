# iNaturalist 2017 with the spatio-temporal meta (train2017_locations.json /
# val2017_locations.json; 2017 dates have no time, so the hour terms are 0).
_base_ = './inat2018-meta_384px.py'
data_preprocessor = dict(num_classes=5089)
train_dataloader = dict(dataset=dict(data_root='data/inat2017', version=2017))
val_dataloader = dict(dataset=dict(data_root='data/inat2017', version=2017))
test_dataloader = val_dataloader
