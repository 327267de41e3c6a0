# MetaFG-2 (MetaFormer-2) on iNaturalist 2017 with the
# spatio-temporal meta, 384 px, from the ImageNet-1k 384 px checkpoint;
# otherwise as MetaFG-0.
_base_ = './metafg-0-meta_8xb32-300e_inat2017-384px.py'
model = dict(
    backbone=dict(
        arch='2',
        init_cfg=dict(checkpoint='checkpoints/metafg_2_1k_384_mmlt.pth')),
    head=dict(in_channels=1024, cls1_channels=512))
