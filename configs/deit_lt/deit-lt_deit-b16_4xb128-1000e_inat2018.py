# DeiT-LT, DeiT-B/16 on iNaturalist 2018 (official sh/train_inat.sh: the
# ImageNet-LT recipe, 1000 epochs, DRW from epoch 900; effective batch 2048,
# which the authors ask to keep with --accum-iter on fewer GPUs), ResNet-50
# teacher at 224 px; timm's ImageNet mean/std as the official code.
_base_ = './deit-lt_deit-b16_4xb128-1400e_imagenetlt.py'
teacher_name = 'ldam-drw-sam_r50_4xb64-90e_inat2018'
model = dict(
    head=dict(num_classes=8142),
    teacher=dict(
        config=f'{{fileDirname}}/teachers/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_90.pth'))
data_preprocessor = dict(num_classes=8142)
inat = dict(type='INat2018', data_root='data/inat2018')
train_dataloader = dict(dataset=dict(inat, ann_file='iNaturalist18_train.txt'))
val_dataloader = dict(dataset=dict(inat, ann_file='iNaturalist18_val.txt'))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1000)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_epoch=900)]
# also the official hard-coded head/mid/tail (842 / 3701 / 3599 classes)
val_evaluator = dict(index_cutoffs=(842, 4543))
test_evaluator = val_evaluator
