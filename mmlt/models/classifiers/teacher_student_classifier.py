# Copyright (c) mmlt contributors. All rights reserved.
from typing import List

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from ..utils.frozen_teacher import FrozenTeacher


@MODELS.register_module()
class TeacherStudentClassifier(ImageClassifier):
    """An mmpretrain ``ImageClassifier`` trained with a frozen teacher.

    In training, the teacher (:class:`FrozenTeacher`) sees the same
    preprocessed, batch-augmented inputs as the student and its logits are
    passed to the head's loss as ``teacher_logits``; prediction is the
    student's alone. Used for RIDE's self-distillation from a 6-expert RIDE
    teacher (:class:`MultiExpertClsHead` + ``RIDELoss``) and for DeiT-LT's
    CNN teacher (:class:`DeiTLTHead`).

    Args:
        backbone (dict): The student's backbone.
        head (dict): A head whose ``loss`` accepts ``teacher_logits``.
        teacher (dict): Arguments of :class:`FrozenTeacher` (``config``,
            ``checkpoint``, ``input_size``, ``label_map``,
            ``bn_batch_stats``, ``interpolation``, ``renormalize``; with
            ``renormalize`` the student's mean/std come from this model's
            data preprocessor).
        **kwargs: Other arguments of :class:`ImageClassifier`.
    """

    def __init__(self, backbone: dict, head: dict, teacher: dict, **kwargs):
        super().__init__(backbone=backbone, head=head, **kwargs)
        teacher = dict(teacher)
        teacher.setdefault('num_classes',
                           getattr(self.head, 'num_classes', None))
        preprocessor = self.data_preprocessor
        if teacher.get('renormalize') and getattr(preprocessor,
                                                  '_enable_normalize', False):
            teacher.setdefault(
                'student_norm',
                dict(
                    mean=preprocessor.mean.flatten().tolist(),
                    std=preprocessor.std.flatten().tolist()))
        self.teacher = FrozenTeacher(**teacher)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        feats = self.extract_feat(inputs)
        return self.head.loss(
            feats, data_samples, teacher_logits=self.teacher(inputs))
