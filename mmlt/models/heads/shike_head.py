# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Tuple

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from .multi_expert_cls_head import MultiExpertClsHead


@MODELS.register_module()
class SHIKEHead(MultiExpertClsHead):
    """:class:`MultiExpertClsHead` with SHIKE's second, re-trained classifier
    set.

    Stage 1 trains the K cosine classifiers ``classifiers`` with ``loss``
    (``DKTLoss``). Stage 2 (switched by :class:`ClassifierRetrainingHook`,
    which also freezes everything else) trains a second, freshly initialised
    set ``rt_classifiers`` with ``stage2_loss`` applied to every expert and
    summed (Balanced Softmax: ``LogitAdjustedLoss``), and predicts with it.
    The stage is a buffer, so checkpoints and ``tools/test.py`` use the
    classifiers of the stage they were saved in.

    Refers to `Long-Tailed Visual Recognition via Self-Heterogeneous
    Integration with Knowledge Excavation (CVPR 2023)
    <https://arxiv.org/abs/2304.01279>`_.

    Args:
        stage2_loss (dict): The per-expert loss of stage 2. Defaults to
            ``LogitAdjustedLoss`` with ``tau=1`` (Balanced Softmax).
        **kwargs: Arguments of :class:`MultiExpertClsHead` (``loss``
            defaults to ``DKTLoss``).
    """

    def __init__(self,
                 *args,
                 loss: dict = dict(type='DKTLoss'),
                 stage2_loss: dict = dict(type='LogitAdjustedLoss', tau=1.),
                 scale: float = 30.,
                 init: str = 'unit',
                 **kwargs):
        super().__init__(*args, loss=loss, scale=scale, init=init, **kwargs)
        self.rt_classifiers = self.build_classifiers(scale, init)
        self.stage2_loss = MODELS.build(stage2_loss)
        # saved with the weights; mirrored in a Python int so that the
        # forward never reads the tensor (no device sync)
        self.register_buffer('stage', torch.tensor(1))
        self._stage = 1
        self.register_load_state_dict_post_hook(
            lambda module, keys: setattr(module, '_stage', int(module.stage)))

    def set_stage(self, stage: int) -> None:
        """1: train and predict with ``classifiers``; 2: with
        ``rt_classifiers``."""
        if stage not in (1, 2):
            raise ValueError(f'SHIKEHead stage must be 1 or 2, got {stage}.')
        self.stage.fill_(stage)
        self._stage = stage

    @property
    def active_classifiers(self) -> nn.ModuleList:
        return self.rt_classifiers if self._stage == 2 else self.classifiers

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        if self._stage == 1:
            return super().loss(feats, data_samples, **kwargs)
        if 'gt_score' in data_samples[0]:
            target = torch.stack([ds.gt_score for ds in data_samples])
        else:
            target = torch.cat([ds.gt_label for ds in data_samples])
        logits = self.forward_experts(feats)
        return dict(
            loss_stage2=sum(
                self.stage2_loss(logits[:, k], target)
                for k in range(self.num_experts)))
