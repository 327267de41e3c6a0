# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import load_checkpoint
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS


@MODELS.register_module()
class RIDEClassifier(ImageClassifier):
    """Classifier for RIDE's multi-expert models (stage 1), optionally with
    self-distillation from a frozen RIDE teacher.

    The backbone returns per-expert features ``(N, K, D)`` and the head
    (:class:`RIDEHead`) the per-expert logits. With ``teacher_config``, the
    teacher (typically 6 experts) is built from its own config, loaded from
    its checkpoint at the first training step, frozen, and its mean logits
    are given to the head loss (``loss_distill``). The teacher is kept out
    of the module tree: it is not saved in checkpoints, not given to the
    optimizer and not wrapped by DDP.

    Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
    Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.

    Args:
        backbone (dict): An expert-branch backbone, e.g.
            ``ExpertResNetCifar``.
        head (dict): A ``RIDEHead``.
        teacher_config (str, optional): Config file of the teacher (its
            ``model`` is built). Enables self-distillation.
        teacher_checkpoint (str, optional): The teacher's trained weights.
            None leaves the teacher at its random initialisation (only
            meant for smoke tests; a warning is logged).
        teacher_bn_batch_stats (bool): Run the teacher's BatchNorm on batch
            statistics as the official code does (it never calls
            ``teacher.eval()``). Defaults to False (eval mode).
        distill_scale_by_experts (bool): With a teacher, multiply every loss
            term by K as the official ``RIDELossWithDistill`` does (it adds
            the whole RIDE + distillation loss once per expert, i.e. a K
            times larger effective learning rate). Defaults to False.
        **kwargs: Other arguments of :class:`ImageClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 teacher_config: Optional[str] = None,
                 teacher_checkpoint: Optional[str] = None,
                 teacher_bn_batch_stats: bool = False,
                 distill_scale_by_experts: bool = False,
                 **kwargs):
        super().__init__(backbone=backbone, head=head, **kwargs)
        if teacher_checkpoint is not None and teacher_config is None:
            raise ValueError('teacher_checkpoint is set but teacher_config '
                             'is None.')
        self.teacher_config = teacher_config
        self.teacher_checkpoint = teacher_checkpoint
        self.teacher_bn_batch_stats = teacher_bn_batch_stats
        self.distill_scale_by_experts = distill_scale_by_experts
        self.__dict__['_teacher'] = None  # hidden from the module tree

    @property
    def num_experts(self) -> int:
        return self.head.num_experts

    # ------------------------------------------------------------ teacher
    def build_teacher(self, device=None) -> nn.Module:
        """Build, load and freeze the teacher (done once, lazily)."""
        if self._teacher is not None:
            return self._teacher
        cfg_path, ckpt = self.teacher_config, self.teacher_checkpoint
        for path, what in ((cfg_path, 'config'), (ckpt, 'checkpoint')):
            if path is not None and not osp.isfile(path):
                raise FileNotFoundError(
                    f'RIDE teacher {what} {path!r} not found (train the '
                    'teacher config first and point `teacher_checkpoint` at '
                    'its last checkpoint).')
        model_cfg = Config.fromfile(cfg_path).model
        for key in ('teacher_config', 'teacher_checkpoint'):
            model_cfg.pop(key, None)
        teacher = MODELS.build(model_cfg)
        if teacher.head.num_classes != self.head.num_classes:
            raise ValueError(
                f'teacher has {teacher.head.num_classes} classes, the student '
                f'{self.head.num_classes}.')
        if ckpt is None:
            MMLogger.get_current_instance().warning(
                'RIDE teacher_checkpoint is None: distilling from an '
                'UNTRAINED teacher (only meant for smoke tests).')
        else:
            load_checkpoint(teacher, ckpt, map_location='cpu', strict=True,
                            logger='silent')
        teacher.requires_grad_(False)
        teacher.train(self.teacher_bn_batch_stats)
        if device is not None:
            teacher.to(device)
        self.__dict__['_teacher'] = teacher
        return teacher

    @torch.no_grad()
    def teacher_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Mean logits ``(N, C)`` of the teacher on preprocessed inputs."""
        teacher = self.build_teacher(inputs.device)
        return teacher.head(teacher.extract_feat(inputs))

    # ------------------------------------------------------------ modes
    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        feats = self.extract_feat(inputs)
        if self.teacher_config is None:
            return self.head.loss(feats, data_samples)
        losses = self.head.loss(
            feats, data_samples, teacher_logits=self.teacher_logits(inputs))
        if self.distill_scale_by_experts:
            losses = {k: self.num_experts * v for k, v in losses.items()}
        return losses

    # ------------------------------------------------------------ cost
    @torch.no_grad()
    def expert_flops(self, input_shape: Sequence[int],
                     with_router: bool = False) -> List[float]:
        """Multiply-adds per image when ``1..K`` experts are used.

        Counted with :class:`mmengine.analysis.FlopAnalyzer` on the shared
        part and on the experts (branches + cosine classifiers, divided by
        K); like RIDE's
        ``utils/gflops.py`` these are MACs, reported as "FLOPs".

        Args:
            input_shape (Sequence[int]): ``(3, H, W)`` of one image.
            with_router (bool): Count routing decisions (no router here).
        """
        from mmengine.analysis import FlopAnalyzer
        param = next(self.parameters())
        x = torch.zeros(1, *input_shape, device=param.device)
        was_training = self.training
        self.eval()
        try:
            shared = self.backbone.forward_shared(x)
            flops_shared = _count(
                FlopAnalyzer(_SharedPart(self.backbone), x))
            flops_expert = _count(
                FlopAnalyzer(_AllExperts(self.backbone, self.head),
                             shared)) / self.num_experts
        finally:
            self.train(was_training)
        return [
            float(flops_shared + k * flops_expert)
            for k in range(1, self.num_experts + 1)
        ]


class _SharedPart(nn.Module):
    """Shared stem + stages, for FLOP counting."""

    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone

    def forward(self, inputs):
        return self.backbone.forward_shared(inputs)


class _AllExperts(nn.Module):
    """All expert branches (fused grouped convs, traceable) and classifiers
    on the shared map, for FLOP counting."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, shared):
        x = shared
        for name in self.backbone.expert_layers:
            x = getattr(self.backbone, name)(x)
        feats = x.mean(dim=(2, 3)).view(x.size(0), self.head.num_experts, -1)
        return self.head.forward_experts((feats, ))


def _count(analyzer) -> int:
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total()
