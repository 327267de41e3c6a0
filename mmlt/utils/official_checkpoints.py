# Copyright (c) mmlt contributors. All rights reserved.
"""Key mappings from official checkpoints to mmlt models: the multi-expert
ResNets of RIDE / SADE / MDCS and SHIKE, AGLU's (APA) SE-ResNets and the
distilled ViT students of DeiT-LT.

Used by ``tools/model_converters/{ride,mdcs,shike,aglu,deit_lt}_to_mmlt.py``.
"""
import argparse
import re
from typing import Dict, List, Tuple

import torch

from .foreign_checkpoint import strip_prefixes

__all__ = [
    'convert_expert_resnet', 'convert_shike', 'convert_aglu_resnet',
    'convert_deit_lt', 'convert_checkpoint', 'converter_parser'
]

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


# official AGLU block children -> mmlt (``SEResNet*AGLU`` blocks)
_AGLU_BLOCK = (
    (r'unirect([1-3])\.(.*)', r'act\1.\2'),
    (r'shortcut\.([01])\.(.*)', r'downsample.\1.\2'),  # CIFAR option B
    (r'se\.norm\.(.*)', r'se_layer.norm.\1'),
    (r'se\.excitation\.0\.weight', 'se_layer.conv1.conv.weight'),
    (r'se\.excitation\.2\.weight', 'se_layer.conv2.conv.weight'),
    (r'se\.(?:unact|uniact)\.(.*)', r'se_layer.conv2.activate.\1'),
    (r'cbam\.ChannelGate\.norm\.(.*)', r'se_layer.norm.\1'),
    (r'cbam\.ChannelGate\.mlp\.1\.(.*)', r'se_layer.mlp.0.\1'),
    (r'cbam\.ChannelGate\.mlp\.3\.(.*)', r'se_layer.mlp.2.\1'),
    (r'cbam\.ChannelGate\.uniact\.(.*)', r'se_layer.channel_gate.\1'),
    (r'cbam\.SpatialGate\.spatial\.conv\.(.*)', r'se_layer.spatial_conv.\1'),
    (r'cbam\.SpatialGate\.spatial\.bn\.(.*)', r'se_layer.spatial_norm.\1'),
    (r'cbam\.SpatialGate\.uniact\.(.*)', r'se_layer.spatial_gate.\1'),
    (r'((?:conv|bn)[1-3]|downsample\.[01])\.(.*)', r'\1.\2'),
)


def convert_aglu_resnet(
    state: Dict[str,
                torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """AGLU's (APA, kostas1515/AGLU) classification ResNets -> mmlt.

    The CIFAR ``ResNet_s`` (``resnet_cifar.py``: ``se_resnet32``, ...) and
    the ImageNet ``ResNet`` (``resnet_pytorch.py``: ``se_resnet50/101/152``,
    ``se_resnext50_32x4d``, ``cb_resnet*``) map onto
    ``SEResNetCifarAGLU`` / ``SEResNetAGLU`` / ``SEResNeXtAGLU`` with a
    ``CosineClsHead`` (``--classif_norm cosine`` / ``lr_cosine``) or a
    ``LinearClsHead`` (no ``--classif_norm``).

    =======================================  ==================================
    official (``module.``)                   mmlt
    =======================================  ==================================
    ``conv1``, ``bn1``                       ``backbone.`` + the same
    ``unirect`` (CIFAR), ``relu``            ``backbone.relu`` (stem AGLU)
    ``layer{i}.{j}.``                        ``backbone.layer{i}.{j}.``
    ``conv{k}``, ``bn{k}``, ``downsample``   the same
    ``unirect{k}``                           ``act{k}``
    ``shortcut.{0,1}`` (CIFAR option B)      ``downsample.{0,1}``
    ``se.norm``                              ``se_layer.norm``
    ``se.excitation.{0,2}.weight``           ``se_layer.conv{1,2}.conv.weight``
    (Linear ``(out, in)``)                   (1x1 conv ``(out, in, 1, 1)``)
    ``se.unact`` / ``se.uniact``             ``se_layer.conv2.activate``
    ``cbam.ChannelGate.norm``                ``se_layer.norm``
    ``cbam.ChannelGate.mlp.{1,3}``           ``se_layer.mlp.{0,2}``
    ``cbam.ChannelGate.uniact``              ``se_layer.channel_gate``
    ``cbam.SpatialGate.spatial.{conv,bn}``   ``se_layer.spatial_{conv,norm}``
    ``cbam.SpatialGate.uniact``              ``se_layer.spatial_gate``
    ``linear`` (CIFAR), ``fc``: ``weight``   ``head.fc.weight`` (both
                                             ``(out, in)``)
    ``linear`` / ``fc``: ``bias``            ``head.fc.bias`` (plain Linear)
    ``linear`` / ``fc``: ``scale`` (1,)      ``head.fc.scale_param`` (scalar;
                                             ``lr_cosine``, both square it)
    =======================================  ==================================

    AGLU / APA parameters (``lambda_param``, ``kappa_param``, shape ``(1,)``)
    keep their names and shapes. Official checkpoints of ``train.py`` hold
    the weights under ``'model'`` (:func:`convert_checkpoint` unwraps it).
    The state dict of the averaged copy (``'model_ema'``, a torchvision
    ``AveragedModel``) converts too: ``module.`` is removed and its
    ``n_averaged`` counter left out.

    Returns:
        tuple: the mmlt state dict and the official keys left out.

    Raises:
        ValueError: for the ``NormedLinear`` classifier
            (``--classif_norm norm``, weight ``(in, out)``), which mmlt's
            APA heads do not have.
    """
    out, dropped = {}, []
    state = strip_prefixes(state, ('module.', ))
    for key, value in state.items():
        match = re.fullmatch(r'(?:linear|fc)\.(weight|bias|scale)', key)
        if match:
            name = match.group(1)
            head = key.split('.')[0]
            bias = state.get(f'{head}.bias')
            if name == 'weight' and bias is not None and value.dim() == 2 \
                    and value.shape[0] != bias.shape[0]:
                raise ValueError(
                    f'{key}: an (in, out) NormedLinear classifier '
                    '(--classif_norm norm); mmlt converts the cosine '
                    '(cosine, lr_cosine) and plain Linear classifiers.')
            if name == 'scale':
                out['head.fc.scale_param'] = value.reshape(())
            else:
                out[f'head.fc.{name}'] = value
            continue
        match = re.fullmatch(r'(?:unirect|relu)\.(lambda_param|kappa_param)',
                             key)
        if match:
            out[f'backbone.relu.{match.group(1)}'] = value
            continue
        match = re.fullmatch(r'(conv1|bn1)\.(.*)', key)
        if match:
            out[f'backbone.{key}'] = value
            continue
        match = re.fullmatch(r'(layer[1-4]\.\d+)\.(.*)', key)
        if match:
            block, rest = match.groups()
            for pattern, repl in _AGLU_BLOCK:
                if re.fullmatch(pattern, rest):
                    name = re.sub(f'^{pattern}$', repl, rest)
                    if rest.startswith('se.excitation.'):
                        value = value.reshape(*value.shape, 1, 1)
                    out[f'backbone.{block}.{name}'] = value
                    break
            else:
                dropped.append(key)
            continue
        dropped.append(key)
    return out, dropped


# official (timm-style) DeiT-LT ViT key -> key of mmpretrain's
# DistilledVisionTransformer (``backbone.``) / DeiTClsHead (``head.layers.``)
_DEIT_LT = (
    (r'(cls_token|dist_token|pos_embed)', r'backbone.\1'),
    (r'patch_embed\.proj\.(weight|bias)',
     r'backbone.patch_embed.projection.\1'),
    (r'blocks\.(\d+)\.norm1\.(weight|bias)', r'backbone.layers.\1.ln1.\2'),
    (r'blocks\.(\d+)\.norm2\.(weight|bias)', r'backbone.layers.\1.ln2.\2'),
    (r'blocks\.(\d+)\.attn\.(qkv|proj)\.(weight|bias)',
     r'backbone.layers.\1.attn.\2.\3'),
    (r'blocks\.(\d+)\.mlp\.fc1\.(weight|bias)',
     r'backbone.layers.\1.ffn.layers.0.0.\2'),
    (r'blocks\.(\d+)\.mlp\.fc2\.(weight|bias)',
     r'backbone.layers.\1.ffn.layers.1.\2'),
    (r'norm\.(weight|bias)', r'backbone.ln1.\1'),
    (r'(head|head_dist)\.(weight|bias)', r'head.layers.\1.\2'),
)


def convert_deit_lt(
    state: Dict[str,
                torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """DeiT-LT students (val-iisc/DeiT-LT ``deit_models``:
    ``DistilledVisionTransformer``, e.g. ``deit_base_distilled_patch16_224``)
    -> mmpretrain's ``DistilledVisionTransformer`` with a DeiT head
    (``DeiTClsHead`` / mmlt's ``DeiTLTHead``).

    ==================================  ====================================
    official (``module.``)              mmlt
    ==================================  ====================================
    ``cls_token``, ``dist_token``,      ``backbone.`` + the same
    ``pos_embed`` (1, N + 2, D)
    ``patch_embed.proj``                ``backbone.patch_embed.projection``
    ``blocks.{i}.norm1`` / ``norm2``    ``backbone.layers.{i}.ln1`` / ``ln2``
    ``blocks.{i}.attn.qkv`` / ``proj``  ``backbone.layers.{i}.attn.qkv`` /
                                        ``proj`` (q, k, v fused alike)
    ``blocks.{i}.mlp.fc1``              ``backbone.layers.{i}.ffn.layers.0.0``
    ``blocks.{i}.mlp.fc2``              ``backbone.layers.{i}.ffn.layers.1``
    ``norm``                            ``backbone.ln1`` (final norm)
    ``head``, ``head_dist``             ``head.layers.head``,
                                        ``head.layers.head_dist``
    ==================================  ====================================

    Tensors are kept as they are. The training checkpoints of ``main.py``
    hold the student under ``'model'`` and its EMA copy (timm ``ModelEma``,
    same keys) under ``'model_ema'``.

    Returns:
        tuple: the mmlt state dict and the official keys left out (none: an
        official model with other parameters, e.g. layer scale or an
        average-pool ``fc_norm``, is refused).

    Raises:
        ValueError: naming the official keys mmlt's model has no place for.
    """
    out, unknown = {}, []
    for key, value in strip_prefixes(state, ('module.', )).items():
        for pattern, repl in _DEIT_LT:
            if re.fullmatch(pattern, key):
                out[re.sub(f'^{pattern}$', repl, key)] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(
            'not a DeiT-LT DistilledVisionTransformer state dict (CLS + DIST '
            f'token, no layer scale): no mmlt counterpart for {unknown[:8]}'
            f'{" ..." if len(unknown) > 8 else ""}.')
    return out, []


def converter_parser(description: str) -> argparse.ArgumentParser:
    """The command line of the ``tools/model_converters/*_to_mmlt.py``
    scripts built on :func:`convert_checkpoint`: ``src dst [--config
    CONFIG]``; a converter adds its own options to the returned parser.

    Args:
        description (str): The script's one-line description.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='official checkpoint')
    parser.add_argument('dst', help='where to write the mmlt checkpoint')
    parser.add_argument(
        '--config', help='mmlt config whose model must load the result')
    return parser


def convert_checkpoint(src: str,
                       dst: str,
                       mapping,
                       config: str = None,
                       log=print,
                       state_key: str = None) -> Dict[str, torch.Tensor]:
    """Convert an official checkpoint file with ``mapping`` (one of the
    functions above) and save it as an mmlt checkpoint (``state_dict``).

    The weights are read from the checkpoint's ``'state_dict'`` or
    ``'model'`` (torchvision reference scripts, e.g. AGLU's ``train.py``)
    entry, or the checkpoint is taken as the state dict itself; with
    ``state_key``, from that entry only (e.g. ``'model_ema'``). The source
    is loaded with safe loading (foreign pickled objects become inert
    stand-ins, see :func:`load_foreign_checkpoint`). With ``config``,
    the result is loaded strictly into the config's model first, so that a
    wrong architecture fails here and not at training time.
    """
    from .foreign_checkpoint import load_foreign_checkpoint
    ckpt, stand_ins = load_foreign_checkpoint(src)
    if stand_ins:
        log(f'{src}: non-tensor objects not unpickled: {stand_ins}')
    if state_key is not None:
        if not (isinstance(ckpt, dict)
                and isinstance(ckpt.get(state_key), dict)):
            found = sorted(ckpt) if isinstance(ckpt, dict) else []
            raise ValueError(f'{src} has no {state_key!r} state dict '
                             f'(entries: {found}).')
        ckpt = ckpt[state_key]
    state = ckpt if isinstance(ckpt, dict) else None
    for key in ('state_dict', 'model'):  # mmengine / torchvision-style
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            state = ckpt[key]
            break
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
