# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import load_checkpoint

from mmlt.registry import MODELS


class FrozenTeacher:
    """A frozen teacher network for knowledge distillation.

    The teacher is built from its own model config (a config file, whose
    ``model`` is used, or a model config dict), loaded from its checkpoint
    (safe loading), frozen (``requires_grad=False``) and run without
    gradients in eval mode. It is built lazily, on the device of the first
    training batch (so a student can be built and tested without the
    teacher's files), and is deliberately not an ``nn.Module`` attribute of
    the student: it is not saved in the student's checkpoints, not given to
    the optimizer and not wrapped by DDP.

    It receives the student's preprocessed (and batch-augmented) inputs,
    optionally resized to its own input size, and returns its logits
    (``model(inputs, mode='tensor')``), optionally re-indexed to the
    student's label order.

    Used by :class:`TeacherStudentClassifier` (RIDE's self-distillation;
    DeiT-LT's CNN teacher).

    Args:
        config (str | dict): Config file of the teacher (its ``model`` is
            built) or the teacher's model config.
        checkpoint (str, optional): The teacher's trained weights. None
            leaves the teacher at its random initialisation (only meant for
            smoke tests; a warning is logged).
        input_size (int | Sequence[int], optional): Resize the inputs
            (bilinear) to this ``(H, W)`` before the teacher. Defaults to
            None (unchanged).
        label_map (Sequence[int], optional): ``label_map[i]`` is the
            student's index of the teacher's class ``i`` (e.g. teachers
            trained on frequency-sorted labels). Defaults to None.
        bn_batch_stats (bool): Run the teacher's BatchNorm on batch
            statistics (train mode), as the official RIDE code does (it never
            calls ``teacher.eval()``). Defaults to False.
        num_classes (int, optional): The student's number of classes, checked
            against the teacher's output.
    """

    def __init__(self,
                 config: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 input_size: Optional[Union[int, Sequence[int]]] = None,
                 label_map: Optional[Sequence[int]] = None,
                 bn_batch_stats: bool = False,
                 num_classes: Optional[int] = None):
        if not isinstance(config, (str, dict)):
            raise TypeError('teacher config must be a config file or a '
                            f'model config dict, got {type(config).__name__}.')
        self.config = config
        self.checkpoint = checkpoint
        if isinstance(input_size, int):
            input_size = (input_size, input_size)
        self.input_size = None if input_size is None else tuple(input_size)
        self.label_map = None if label_map is None else torch.as_tensor(
            label_map, dtype=torch.long)
        if self.label_map is not None and \
                len(set(self.label_map.tolist())) != len(self.label_map):
            raise ValueError('teacher label_map must be a permutation of the '
                             'class indices (no repeats).')
        self.bn_batch_stats = bn_batch_stats
        self.num_classes = num_classes
        self.model: Optional[nn.Module] = None

    @property
    def source(self) -> str:
        return self.config if isinstance(self.config, str) else \
            'the teacher model config'

    def build(self, device: Optional[torch.device] = None) -> nn.Module:
        """Build, load and freeze the teacher (done once)."""
        if self.model is not None:
            return self.model
        for path, what in ((self.config, 'config'), (self.checkpoint,
                                                     'checkpoint')):
            if isinstance(path, str) and not osp.isfile(path):
                raise FileNotFoundError(
                    f'teacher {what} {path!r} not found. Train the teacher '
                    'first and give its last checkpoint, e.g. '
                    '--cfg-options model.teacher.checkpoint=PATH.')
        if isinstance(self.config, str):
            model_cfg = Config.fromfile(self.config).model
        else:
            model_cfg = ConfigDict(self.config)
        model = MODELS.build(model_cfg)
        if self.checkpoint is None:
            MMLogger.get_current_instance().warning(
                f'teacher checkpoint is None: distilling from an UNTRAINED '
                f'{self.source} (only meant for smoke tests).')
        else:
            load_checkpoint(
                model,
                self.checkpoint,
                map_location='cpu',
                strict=True,
                logger='silent')
        model.requires_grad_(False)
        model.train(self.bn_batch_stats)
        if device is not None:
            model.to(device)
        self.model = model
        return model

    @torch.no_grad()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Teacher logits ``(N, C)`` on the student's inputs."""
        model = self.build(inputs.device)
        if self.input_size is not None and \
                tuple(inputs.shape[-2:]) != self.input_size:
            inputs = F.interpolate(
                inputs,
                size=self.input_size,
                mode='bilinear',
                align_corners=False)
        logits = model(inputs, mode='tensor')
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        num_classes = logits.size(-1)
        if self.label_map is not None:
            if len(self.label_map) != num_classes:
                raise ValueError(
                    f'teacher label_map has {len(self.label_map)} entries, '
                    f'{self.source} outputs {num_classes} classes.')
            logits = logits[:, torch.argsort(self.label_map.to(logits.device))]
        if self.num_classes is not None and num_classes != self.num_classes:
            raise ValueError(
                f'{self.source} outputs {num_classes} classes, the student '
                f'{self.num_classes}.')
        return logits
