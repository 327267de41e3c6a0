# P²OT on iNaturalist 2018, 500-class subset.
_base_ = './p2ot_vit-b16-dino_1xb512-50e_inat100.py'
num_classes = 500
model = dict(head=dict(num_clusters=num_classes))
train_dataloader = dict(dataset=dict(num_classes=num_classes))
val_dataloader = dict(dataset=dict(num_classes=num_classes))
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=num_classes)
test_evaluator = val_evaluator
