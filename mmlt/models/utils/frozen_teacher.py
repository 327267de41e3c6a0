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

_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area')


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
            (with ``interpolation``) to this ``(H, W)`` before the teacher.
            Defaults to None (unchanged).
        label_map (Sequence[int], optional): ``label_map[i]`` is the
            student's index of the teacher's class ``i`` (e.g. teachers
            trained on frequency-sorted labels). Defaults to None.
        bn_batch_stats (bool): Run the teacher's BatchNorm on batch
            statistics (train mode), as the official RIDE code does (it never
            calls ``teacher.eval()``). Defaults to False.
        num_classes (int, optional): The student's number of classes, checked
            against the teacher's output.
        interpolation (str): ``F.interpolate`` mode of the resize:
            ``'bilinear'`` (default) or ``'bicubic'`` (DeiT-LT resizes the
            student's batch with bicubic interpolation).
        renormalize (bool | dict): Re-normalise the student's inputs for the
            teacher: ``x * std_s / std_t + (mean_s - mean_t) / std_t``, i.e.
            undo the student's mean/std and apply the teacher's (both in
            the same channel order). True reads the teacher's ``mean`` and
            ``std`` from the ``data_preprocessor`` of its config file (or of
            its model config), a dict gives them (``dict(mean=..., std=...)``).
            Defaults to False: the teacher gets the student's tensor as is
            (DeiT-LT's behaviour).
        student_norm (dict, optional): The student's ``dict(mean=...,
            std=...)``, needed with ``renormalize``; set by
            :class:`TeacherStudentClassifier` from its data preprocessor.
    """

    def __init__(self,
                 config: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 input_size: Optional[Union[int, Sequence[int]]] = None,
                 label_map: Optional[Sequence[int]] = None,
                 bn_batch_stats: bool = False,
                 num_classes: Optional[int] = None,
                 interpolation: str = 'bilinear',
                 renormalize: Union[bool, dict] = False,
                 student_norm: Optional[dict] = None):
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
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'teacher interpolation must be one of '
                             f'{_INTERPOLATIONS}, got {interpolation!r}.')
        self.interpolation = interpolation
        if not isinstance(renormalize, (bool, dict)):
            raise TypeError('teacher renormalize must be a bool or '
                            f'dict(mean=..., std=...), got {renormalize!r}.')
        self.renormalize = renormalize
        self.student_norm = student_norm
        self._affine = None  # (scale, shift) of the re-normalisation
        self.model: Optional[nn.Module] = None

    @property
    def source(self) -> str:
        return self.config if isinstance(self.config, str) else \
            'the teacher model config'

    @property
    def _files(self) -> str:
        """The teacher's config and checkpoint, for error messages."""
        return f'(teacher config {self.source}, checkpoint {self.checkpoint})'

    def _teacher_norm(self) -> dict:
        if isinstance(self.renormalize, dict):
            return self.renormalize
        if isinstance(self.config, str):
            cfg = Config.fromfile(self.config)
            norm = cfg.get('data_preprocessor', None) or \
                cfg.model.get('data_preprocessor', None)
        else:
            norm = self.config.get('data_preprocessor', None)
        if not norm or norm.get('mean') is None or norm.get('std') is None:
            raise ValueError(
                f'teacher renormalize=True but {self.source} has no '
                '`data_preprocessor` with mean and std; give them as '
                'renormalize=dict(mean=..., std=...).')
        return norm

    def _build_affine(self, device) -> None:
        if not self.renormalize:
            return
        if not self.student_norm:
            raise ValueError(
                'teacher renormalize needs the student\'s mean/std '
                '(student_norm=dict(mean=..., std=...)); '
                'TeacherStudentClassifier sets it from a normalising data '
                'preprocessor.')
        teacher = self._teacher_norm()

        def vec(value):
            return torch.as_tensor(
                value, dtype=torch.float32, device=device).view(1, -1, 1, 1)

        mean_s, std_s = vec(self.student_norm['mean']), vec(
            self.student_norm['std'])
        mean_t, std_t = vec(teacher['mean']), vec(teacher['std'])
        self._affine = (std_s / std_t, (mean_s - mean_t) / std_t)

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
        head_classes = (model_cfg.get('head') or {}).get('num_classes')
        if isinstance(head_classes, int) and self.num_classes is not None \
                and self.label_map is None \
                and head_classes != self.num_classes:
            raise ValueError(
                f'{self.source} outputs {head_classes} classes, the student '
                f'{self.num_classes} {self._files}: the teacher must be '
                "trained on the student's classes.")
        model = MODELS.build(model_cfg)
        if self.checkpoint is None:
            MMLogger.get_current_instance().warning(
                f'teacher checkpoint is None: distilling from an UNTRAINED '
                f'{self.source} (only meant for smoke tests).')
        else:
            try:
                load_checkpoint(
                    model,
                    self.checkpoint,
                    map_location='cpu',
                    strict=True,
                    logger='silent')
            except Exception as err:
                raise RuntimeError(
                    f'teacher checkpoint {self.checkpoint} does not fit '
                    f'{self.source} (a checkpoint of another model or class '
                    f'count?): {err}') from err
        model.requires_grad_(False)
        model.train(self.bn_batch_stats)
        if device is not None:
            model.to(device)
        self._build_affine(device)
        self.model = model
        return model

    @torch.no_grad()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Teacher logits ``(N, C)`` on the student's inputs."""
        model = self.build(inputs.device)
        if self._affine is not None:
            scale, shift = self._affine
            inputs = inputs * scale.to(inputs) + shift.to(inputs)
        if self.input_size is not None and \
                tuple(inputs.shape[-2:]) != self.input_size:
            inputs = F.interpolate(
                inputs,
                size=self.input_size,
                mode=self.interpolation,
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
                f'{self.num_classes} {self._files}.')
        return logits
