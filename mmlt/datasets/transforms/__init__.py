# Copyright (c) mmlt contributors. All rights reserved.
from .attribute_meta import AttributeMeta
from .spatio_temporal_meta import (SpatioTemporalMeta, encode_date,
                                   encode_location, encode_spatio_temporal)
from .text_embedding_meta import TextEmbeddingMeta

__all__ = [
    'AttributeMeta', 'SpatioTemporalMeta', 'TextEmbeddingMeta', 'encode_date',
    'encode_location', 'encode_spatio_temporal'
]
