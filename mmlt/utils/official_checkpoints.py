# Copyright (c) mmlt contributors. All rights reserved.
"""Key mappings from official multi-expert checkpoints to mmlt models.

Used by ``tools/model_converters/{ride,mdcs,shike}_to_mmlt.py``.
"""
import re
from typing import Dict, List, Tuple

import torch

from .foreign_checkpoint import strip_prefixes

__all__ = ['convert_expert_resnet', 'convert_shike']

_SHARED = re.compile(r'(conv1|bn1|layer[1-4])\.(.*)')
# official per-expert stages: layer2s (CIFAR), layer3s, layer4s
_EXPERT_STAGE = re.compile(r'layer([2-4])s\.(\d+)\.(.*)')


def _block_key(rest: str) -> str:
    """Official block parameter name -> mmpretrain's (option-B shortcuts
    are ``shortcut.{0,1}`` officially, ``downsample.{0,1}`` in mmpretrain)."""
    return re.sub(r'(^|\.)shortcut\.', r'\1downsample.', rest)


def _normed_linear(key: str, value: torch.Tensor) -> torch.Tensor:
    """Official ``NormedLinear`` weights are ``(in, out)``; mmlt's
    ``NormedLinear`` (an ``nn.Linear``) stores ``(out, in)``."""
    if value.dim() != 2:
        raise ValueError(f'{key}: expected a 2-D NormedLinear weight, got '
                         f'shape {tuple(value.shape)}.')
    return value.t().contiguous()


def convert_expert_resnet(
    state: Dict[str,
                torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """RIDE / SADE / MDCS expert-branch ResNets (and RIDE's router) -> mmlt.

    ====================================  ===================================
    official (``module.``, ``backbone.``)  mmlt
    ====================================  ===================================
    ``conv1``, ``bn1``, ``layer1`` (..3)  ``backbone.`` + the same
    ``layer{i}s.{k}.`` (expert ``k``)     ``backbone.layer{i}.{k}.``
    ``*.shortcut.{0,1}`` (option B)       ``*.downsample.{0,1}``
    ``linears.{k}.weight`` (in, out)      ``head.classifiers.{k}.weight``
                                          (out, in)
    ``expert_help_pred_hidden_fcs.{j}``   ``router.hidden_fcs.{j}``
    ``expert_help_pred_fc``               ``router.fc``
    ====================================  ===================================

    Returns:
        tuple: the mmlt state dict and the official keys left out (MDCS's
        unused ``linear_head`` / ``linear_few`` / ``mlp`` modules).

    Raises:
        ValueError: for plain (non-cosine) classifiers, which mmlt's
            ``MultiExpertClsHead`` does not have.
    """
    out, dropped = {}, []
    for key, value in strip_prefixes(state, ('module.', 'backbone.')).items():
        match = _EXPERT_STAGE.fullmatch(key)
        if match:
            stage, expert, rest = match.groups()
            out[f'backbone.layer{stage}.{expert}.{_block_key(rest)}'] = value
            continue
        match = re.fullmatch(r'linears\.(\d+)\.(weight|bias)', key)
        if match:
            if match.group(2) == 'bias':
                raise ValueError(
                    f'{key}: the official model has plain Linear '
                    'classifiers (use_norm=False); mmlt converts the cosine '
                    '(use_norm=True) models of the official configs.')
            out[f'head.classifiers.{match.group(1)}.weight'] = \
                _normed_linear(key, value)
            continue
        match = re.fullmatch(r'expert_help_pred_hidden_fcs\.(\d+)\.(.*)', key)
        if match:
            out[f'router.hidden_fcs.{match.group(1)}.{match.group(2)}'] = value
            continue
        match = re.fullmatch(r'expert_help_pred_fc\.(.*)', key)
        if match:
            out[f'router.fc.{match.group(1)}'] = value
            continue
        match = _SHARED.fullmatch(key)
        if match:
            out[f'backbone.{match.group(1)}.{_block_key(match.group(2))}'] = \
                value
            continue
        dropped.append(key)
    return out, dropped


def convert_shike(state: Dict[str, torch.Tensor],
                  stage: int = 2) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """SHIKE's ``ResNet_MoE`` (``networks.py``) -> mmlt.

    ====================================  ===================================
    official (``module.``)                mmlt
    ====================================  ===================================
    ``conv1``, ``bn1``, ``layer1``, ``2``  ``backbone.`` + the same
    ``layer3s.{k}.``                      ``backbone.layer3.{k}.``
    ``*.shortcut.{0,1}``                  ``*.downsample.{0,1}``
    ``shallow_exps.{k}.convs.``           ``backbone.fusion.branches.{k}.``
    ``StridedConv{j}.conv.{0,1}``         ``{j}.{conv,bn}``
    ``classifiers.{k}.weight`` (in, out)  ``head.classifiers.{k}.weight``
    ``rt_classifiers.{k}.weight``         ``head.rt_classifiers.{k}.weight``
    ====================================  ===================================

    Args:
        state (dict): The official state dict.
        stage (int): The classifier set the converted model predicts with
            (``head.stage``): 2, the re-trained set, for the final official
            models (trained past the ``cornerstone`` epoch), or 1.

    Returns:
        tuple: the mmlt state dict and the official keys left out.
    """
    out, dropped = {'head.stage': torch.tensor(stage)}, []
    for key, value in strip_prefixes(state, ('module.', )).items():
        match = re.fullmatch(
            r'shallow_exps\.(\d+)\.convs\.StridedConv(\d+)'
            r'\.conv\.([01])\.(.*)', key)
        if match:
            expert, block, part, rest = match.groups()
            name = 'conv' if part == '0' else 'bn'
            out[f'backbone.fusion.branches.{expert}.{block}.{name}.{rest}'] = \
                value
            continue
        match = re.fullmatch(r'(rt_classifiers|classifiers)\.(\d+)\.weight',
                             key)
        if match:
            out[f'head.{match.group(1)}.{match.group(2)}.weight'] = \
                _normed_linear(key, value)
            continue
        match = _EXPERT_STAGE.fullmatch(key)
        if match:
            layer, expert, rest = match.groups()
            out[f'backbone.layer{layer}.{expert}.{_block_key(rest)}'] = value
            continue
        match = _SHARED.fullmatch(key)
        if match:
            out[f'backbone.{match.group(1)}.{_block_key(match.group(2))}'] = \
                value
            continue
        dropped.append(key)
    return out, dropped


def convert_checkpoint(src: str,
                       dst: str,
                       mapping,
                       config: str = None,
                       log=print) -> Dict[str, torch.Tensor]:
    """Convert an official checkpoint file with ``mapping`` (one of the
    functions above) and save it as an mmlt checkpoint (``state_dict``).

    The source is loaded with safe loading (foreign pickled objects become
    inert stand-ins, see :func:`load_foreign_checkpoint`). With ``config``,
    the result is loaded strictly into the config's model first, so that a
    wrong architecture fails here and not at training time.
    """
    from .foreign_checkpoint import load_foreign_checkpoint
    ckpt, stand_ins = load_foreign_checkpoint(src)
    if stand_ins:
        log(f'{src}: non-tensor objects not unpickled: {stand_ins}')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{src} holds no state dict.')
    converted, dropped = mapping(state)
    if dropped:
        log(f'left out (not used by the mmlt model): {dropped}')
    if config is not None:
        from mmengine.config import Config

        from mmlt.registry import MODELS
        model_cfg = Config.fromfile(config).model
        model_cfg.get('backbone', {}).pop('init_cfg', None)
        model = MODELS.build(model_cfg)
        model.load_state_dict(converted, strict=True)
        log(f'loaded strictly into the model of {config}')
    torch.save(dict(state_dict=converted, meta=dict(converted_from=src)), dst)
    log(f'{len(converted)} tensors written to {dst}')
    return converted
