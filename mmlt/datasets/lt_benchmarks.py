# Copyright (c) mmlt contributors. All rights reserved.
"""The standard long-tailed benchmarks, read from their published split
files."""
import os.path as osp

from mmpretrain.datasets.categories import IMAGENET_CATEGORIES

from mmlt.registry import DATASETS
from .categories import PLACES365_CATEGORIES
from .lt_list_dataset import LTListDataset


@DATASETS.register_module()
class ImageNetLT(LTListDataset):
    """ImageNet-LT (Liu et al., OLTR, CVPR 2019): 1,000 classes, 115,846 train
    images (1,280 ... 5 per class), 20 val and 50 test images per class.

    Expects the ImageNet-2012 tree under ``data_root`` (``train/<wnid>/...``,
    ``val/<wnid>/...``) and ``ImageNet_LT_{train,val,test}.txt`` as
    ``ann_file``. Arguments as :class:`LTListDataset`.
    """
    METAINFO = {'classes': IMAGENET_CATEGORIES}


@DATASETS.register_module()
class PlacesLT(LTListDataset):
    """Places-LT (OLTR): 365 classes, 62,500 train images (4,980 ... 5 per
    class; 131 many / 163 medium / 71 few), 20 val and 100 test images per
    class, from Places365-Standard (256x256).

    Expects ``ann_file`` = ``Places_LT_{train,val,test}.txt``. Arguments as
    :class:`LTListDataset`.
    """
    METAINFO = {'classes': PLACES365_CATEGORIES}


@DATASETS.register_module()
class INat2018(LTListDataset):
    """iNaturalist 2018 (Van Horn et al., CVPR 2018): 8,142 classes, 437,513
    train images; the 24,426-image val list is the test set by convention.

    Class names are the numeric category ids, as in the 2018 json files.
    Expects ``ann_file`` = ``iNaturalist18_{train,val}.txt``. Arguments as
    :class:`LTListDataset`.
    """
    METAINFO = {'classes': tuple(str(i) for i in range(8142))}


@DATASETS.register_module()
class TinyImageNetLT(LTListDataset):
    """Tiny-ImageNet-200-LT: 200 classes at 64x64, a long-tailed train list
    (IF100 gives 21,549 images, 70 many / 70 medium / 60 few) and the balanced
    val set (50 per class) as test set.

    Class names come from ``<data_root>/classes.txt`` (``wnid<TAB>words``;
    line i is label i) when it exists. Arguments as :class:`LTListDataset`.
    """

    def __init__(self, data_root: str = '', metainfo=None, **kwargs):
        classes_file = osp.join(data_root, 'classes.txt')
        if (metainfo is None or 'classes' not in metainfo) and \
                osp.isfile(classes_file):
            with open(classes_file) as f:
                names = [
                    ln.rstrip('\n').split('\t')[-1] for ln in f if ln.strip()
                ]
            metainfo = dict(metainfo or {}, classes=tuple(names))
        kwargs.setdefault('num_classes', 200)
        super().__init__(data_root=data_root, metainfo=metainfo, **kwargs)
