# APA (Alexandridis et al., ECCV 2024) on LVIS v1: Mask R-CNN with an
# SE-ResNet-50 backbone using AGLU activations and APA-gated SE blocks, the
# Gumbel classifier trained with DropLoss (GOL), a cosine mask predictor with
# a learned temperature and CARAFE upsampling. RFS 1e-3, multi-scale
# 1333x[640:800], 2x schedule, 8 GPUs x 2 images.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/lvis_v1_instance.py',
    'mmdet::_base_/schedules/schedule_2x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlt.det'], allow_failed_imports=False)

data_root = 'data/lvis_v1/'
train_ann_file = 'annotations/lvis_v1_train.json'
val_ann_file = 'annotations/lvis_v1_val.json'
# The classification checkpoint of the same backbone (ImageNet-1K, AGLU +
# APA-SE), e.g. from mmlt's tools/train.py; its `backbone.*` keys load here.
pretrained = 'checkpoints/se-r50-aglu-apa_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SEResNetAGLUDet',
        depth=50,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(
        bbox_head=dict(
            num_classes=1203,
            loss_cls=dict(
                _delete_=True,
                type='GumbelDropLoss',
                ann_file=data_root + train_ann_file,
                # the frequency denominator of the official code (LVIS v1
                # train images with annotations)
                num_images=99388,
                lambda_=0.0011,
                loss_weight=1.0),
            # p = exp(-exp(-z)) starts at exp(-e^2) ~ 6.2e-4 for every class
            init_cfg=[
                dict(
                    type='Constant',
                    val=0.001,
                    bias=-2.,
                    override=dict(name='fc_cls')),
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                dict(
                    type='Xavier',
                    distribution='uniform',
                    override=[
                        dict(name='shared_fcs'),
                        dict(name='cls_fcs'),
                        dict(name='reg_fcs')
                    ])
            ]),
        mask_head=dict(
            type='FCNMaskHeadWithCARAFEFallback',
            num_classes=1203,
            upsample_cfg=dict(
                type='carafe',
                scale_factor=2,
                up_kernel=5,
                up_group=1,
                encoder_kernel=3,
                encoder_dilation=1,
                compressed_channels=64),
            predictor_cfg=dict(
                type='LearnableTempNormedConv2d', temperature_init=4.5))),
    test_cfg=dict(
        rcnn=dict(
            score_thr=0.0001,
            nms=dict(type='nms', iou_threshold=0.3),  # per class
            max_per_img=300,
            mask_thr_binary=0.4)))

# mmdet collates images of different sizes as lists (`pseudo_collate`, the
# Runner's default); set it explicitly because mmlt's tools/train.py (like
# mmpretrain's) otherwise fills in `default_collate`.
train_dataloader = dict(
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(dataset=dict(data_root=data_root, ann_file=train_ann_file)))
val_dataloader = dict(
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(data_root=data_root, ann_file=val_ann_file))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='LVISCompatMetric',
    ann_file=data_root + val_ann_file,
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator

# lambda and kappa of AGLU/APA get no weight decay (the official detection
# configs decay them; its classification recipes do not)
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(
            lambda_param=dict(decay_mult=0.), kappa_param=dict(
                decay_mult=0.))))

# mmlt's runtime safety hooks (mmdet's default_runtime has neither): stop at
# the first NaN/inf loss before a NaN checkpoint is written, and average the
# BatchNorm buffers over DDP ranks before validation and checkpointing.
default_hooks = dict(
    finite_loss=dict(type='mmpretrain.FiniteLossHook'),
    sync_buffers=dict(type='SyncBuffersHook'))
