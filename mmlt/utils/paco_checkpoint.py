# Copyright (c) mmlt contributors. All rights reserved.
"""Key mapping from the official PaCo / GPaCo checkpoints
(dvlab-research/Parametric-Contrastive-Learning, ``moco/builder.py``'s
``MoCo``) to mmlt's :class:`PaCo` / :class:`GPaCo`.

Used by ``tools/model_converters/paco_to_mmlt.py`` and the equivalence
check (``tools/model_converters/verify_equivalence.py --checks paco_r32``).
"""
import re
from typing import Dict, List, Tuple

import torch

from .foreign_checkpoint import strip_prefixes

__all__ = ['convert_paco']

# the projection MLP: ``fc`` (no --mlp) or ``fc.{i}`` (Sequential)
_FC = re.compile(r'fc\.(?:(\d+)\.)?(.+)')


def _encoder_key(rest: str) -> str:
    match = _FC.fullmatch(rest)
    if match:
        return f'projector.mlp.{match.group(1) or 0}.{match.group(2)}'
    return f'backbone.{rest}'


def convert_paco(
    state: Dict[str,
                torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Official PaCo / GPaCo ``MoCo`` state dict -> mmlt.

    ====================================  ===================================
    official (``module.``)                mmlt
    ====================================  ===================================
    ``encoder_q.{conv1,bn1,layer*}``      ``backbone.`` + the same (CIFAR
                                          ``ResNet_s`` with option-A
                                          shortcuts, torchvision ResNets)
    ``encoder_q.fc.{i}`` / ``.fc``        ``projector.mlp.{i}`` / ``.mlp.0``
    ``encoder_k.*`` (PaCo)                ``encoder_k.backbone.*``,
                                          ``encoder_k.projector.mlp.*``
    ``linear``                            ``head.fc``
    ``queue`` (K, dim)                    ``queue``
    ``queue_l``                           ``queue_labels``
    ``queue_ptr``                         ``queue_ptr``
    ``linear_k`` (PaCo; never used)       left out
    ====================================  ===================================

    A PaCo checkpoint has ``encoder_k`` keys, a GPaCo one has none; the
    PaCo MLP is ``fc.{0,1,3}`` (Linear, BN, Linear), GPaCo's ``fc.{0,2,4}``
    (three Linears): load the result into the matching config.

    Returns:
        tuple: the mmlt state dict and the official keys left out.
    """
    out, dropped = {}, []
    for key, value in strip_prefixes(state, ('module.', )).items():
        match = re.fullmatch(r'encoder_([qk])\.(.+)', key)
        if match:
            prefix = '' if match.group(1) == 'q' else 'encoder_k.'
            out[prefix + _encoder_key(match.group(2))] = value
        elif key in ('linear.weight', 'linear.bias'):
            out[f'head.fc.{key.split(".")[1]}'] = value
        elif key in ('queue', 'queue_ptr'):
            out[key] = value
        elif key == 'queue_l':
            out['queue_labels'] = value
        else:
            dropped.append(key)
    return out, dropped
