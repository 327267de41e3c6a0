# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
from mmcv.transforms import BaseTransform

from mmlt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class AttributeMeta(BaseTransform):
    """Binary attribute vector as meta (MetaFormer on CUB-200-2011 with its
    312 ``is_present`` attributes; Diao et al., arXiv 2203.02751).

    Reads ``results['attributes']`` (set by :class:`CUBMeta` with
    ``meta_type='attribute'``) and writes it as float32 to
    ``results['meta']`` (``meta_dims=(312, )``).

    Args:
        num_attributes (int): Expected length. Defaults to 312.
        out_key (str): Output key. Defaults to ``'meta'``.
    """

    def __init__(self, num_attributes: int = 312, out_key: str = 'meta'):
        self.num_attributes = num_attributes
        self.out_key = out_key

    def transform(self, results: dict) -> dict:
        if 'attributes' not in results:
            raise KeyError(
                'AttributeMeta needs results["attributes"]; use CUBMeta with '
                "meta_type='attribute'.")
        attributes = np.asarray(results['attributes'], dtype=np.float32)
        if attributes.shape != (self.num_attributes, ):
            raise ValueError(
                f'AttributeMeta expects {self.num_attributes} attributes, '
                f'got shape {attributes.shape} for '
                f'{results.get("img_path")}.')
        results[self.out_key] = attributes
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_attributes={self.num_attributes})'
