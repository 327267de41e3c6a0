# Copyright (c) mmlt contributors. All rights reserved.
from .apa import AGLU, APA, APA_INIT_RANGES
from .apa_functional import aglu, apa
from .apa_fused import set_apa_compile, set_apa_fast_math
from .apa_se_layer import APA_SE_GATE, APASELayer
from .cbam import APA_CBAM_GATE, CBAM
from .fast_drop_path import FastDropPath
from .fast_multihead_attention import FastMultiheadAttention
from .meta_projection import MetaProjection
from .metafg_attention import (MetaFGAttention, metafg_relative_position_index,
                               resize_metafg_bias_table)
from .metafg_block import MetaFGBlock
from .normed_linear import NormedLinear
from .res_norm_layer import ResNormLayer

__all__ = [
    'NormedLinear', 'AGLU', 'APA', 'APA_INIT_RANGES', 'aglu', 'apa',
    'set_apa_compile', 'set_apa_fast_math', 'APA_SE_GATE', 'APASELayer',
    'APA_CBAM_GATE', 'CBAM', 'MetaProjection', 'MetaFGAttention',
    'metafg_relative_position_index', 'resize_metafg_bias_table',
    'MetaFGBlock', 'ResNormLayer', 'FastDropPath', 'FastMultiheadAttention'
]
