# A CPU smoke run of the APA LVIS detector on the real COCO-Tiny images with
# their LVIS-v1-format annotations (80 COCO categories, COCO ids): one epoch
# of 4 training images (2 iterations of 2 images, RFS wrapper kept), small
# multi-scale resize (long side 320), then the LVIS evaluation (bbox + segm,
# APr/APc/APf) on 2 val images. For speed, 300 RPN proposals and 100
# detections per image at test time (the LVIS configs: 1000 and 300). No
# pretrained weights. Not a benchmark.
_base_ = './mask-rcnn_se-r50-aglu-apa_fpn_gumbel-droploss_rfs1e-3_ms-2x_lvis-v1.py'  # noqa: E501

data_root = '../shared/data/coco_tiny/'
train_ann_file = 'annotations/lvis_v1_tiny_train.json'
val_ann_file = 'annotations/lvis_v1_tiny_val.json'
num_classes = 80
# The category names of the tiny files (COCO's, in the json order, which is
# the label order LVISV1Dataset uses), instead of the 1203 LVIS names.
metainfo = dict(
    classes=('person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
             'train', 'truck', 'boat', 'traffic light', 'fire hydrant',
             'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
             'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe',
             'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
             'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat',
             'baseball glove', 'skateboard', 'surfboard', 'tennis racket',
             'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl',
             'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
             'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
             'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop',
             'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
             'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
             'scissors', 'teddy bear', 'hair drier', 'toothbrush'))

model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(
        bbox_head=dict(
            num_classes=num_classes,
            loss_cls=dict(
                ann_file=data_root + train_ann_file,
                num_images=None,  # the 80 annotated images of the file
                # image_count / 80 < 0.03: the 39 categories in <= 2 images
                lambda_=0.03)),
        mask_head=dict(num_classes=num_classes)),
    test_cfg=dict(rpn=dict(max_per_img=300), rcnn=dict(max_per_img=100)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(320, 224), (320, 256)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        dataset=dict(
            data_root=data_root,
            ann_file=train_ann_file,
            metainfo=metainfo,
            indices=4,
            pipeline=train_pipeline)))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file=val_ann_file,
        metainfo=metainfo,
        indices=2,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, save_last=False))
log_processor = dict(window_size=1)
auto_scale_lr = dict(enable=False, base_batch_size=16)
randomness = dict(seed=0)
