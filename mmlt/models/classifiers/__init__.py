# Copyright (c) mmlt contributors. All rights reserved.
from .gpaco import GPaCo
from .metafg_classifier import MetaFGClassifier, mask_meta
from .paco import PaCo
from .ride_router_classifier import RIDERouterClassifier
from .teacher_student_classifier import TeacherStudentClassifier

__all__ = [
    'RIDERouterClassifier', 'TeacherStudentClassifier', 'MetaFGClassifier',
    'mask_meta', 'PaCo', 'GPaCo'
]
