# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmlt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class TextEmbeddingMeta(BaseTransform):
    """Precomputed word embeddings of one caption as meta tokens (MetaFormer
    with text on CUB-200-2011; Diao et al., arXiv 2203.02751).

    Loads ``results['text_embedding_path']`` (set by :class:`CUBMeta` with
    ``meta_type='text'``): a ``.npy`` array of shape
    ``(captions, words, dims)`` (e.g. 10 captions x 32 words x 768 BERT
    dims), read with ``allow_pickle=False``. One caption becomes
    ``results['meta']`` of shape ``(words, dims)``, i.e. ``words`` meta
    tokens (``meta_dims=(dims, )``).

    Which caption: ``caption_index=None`` draws one uniformly at random
    (training, as the official code); an int always takes that caption
    (evaluation: the test pipelines use caption 0, the first line of the
    image's caption file, so that evaluation is deterministic, unlike the
    official code, which draws at random at test time too).

    Args:
        caption_index (int, optional): Fixed caption, or ``None`` for a
            random one. Defaults to None.
        out_key (str): Output key. Defaults to ``'meta'``.
    """

    def __init__(self,
                 caption_index: Optional[int] = None,
                 out_key: str = 'meta'):
        self.caption_index = caption_index
        self.out_key = out_key

    def transform(self, results: dict) -> dict:
        path = results.get('text_embedding_path')
        if path is None:
            raise KeyError(
                'TextEmbeddingMeta needs results["text_embedding_path"]; use '
                "CUBMeta with meta_type='text'.")
        emb = np.load(path, allow_pickle=False)
        if emb.ndim == 2:
            emb = emb[None]
        if emb.ndim != 3 or emb.shape[0] == 0:
            raise ValueError(f'{path}: expected (captions, words, dims), got '
                             f'shape {emb.shape}.')
        if self.caption_index is None:
            index = np.random.randint(emb.shape[0])
        else:
            index = self.caption_index
            if not -emb.shape[0] <= index < emb.shape[0]:
                raise IndexError(f'{path} has {emb.shape[0]} captions; '
                                 f'caption_index={index} is out of range.')
        results[self.out_key] = np.ascontiguousarray(
            emb[index], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(caption_index={self.caption_index})'
