# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts import (check_class_counts, class_names_of,
                           empty_classes_text, get_class_counts,
                           unwrap_dataset)
from .json_safe import dump_json, json_safe
from .setup_env import (import_task_modules, setup_cpu_distributed,
                        teardown_distributed)

__all__ = [
    'get_class_counts', 'check_class_counts', 'unwrap_dataset',
    'class_names_of', 'empty_classes_text', 'json_safe', 'dump_json',
    'import_task_modules', 'setup_cpu_distributed', 'teardown_distributed'
]
