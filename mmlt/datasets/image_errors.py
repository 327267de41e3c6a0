# Copyright (c) mmlt contributors. All rights reserved.
"""Errors that name the image file a sample failed on."""
import os.path as osp
from typing import Any

__all__ = ['EmptyImageFileMixin', 'check_not_empty']


def check_not_empty(path: str, owner: str = 'mmlt') -> None:
    """Raise an OSError naming ``path`` when it is a zero-byte file.

    OpenCV rejects an empty buffer with an assertion (``!buf.empty()``) that
    does not say which file it was.

    Args:
        path (str): Image file path.
        owner (str): Who reads it, for the message.
    """
    if isinstance(path, str) and osp.isfile(path) and osp.getsize(path) == 0:
        raise OSError(f'{owner}: image file {path} is empty (0 bytes); '
                      're-copy it or remove it from the dataset.')


class EmptyImageFileMixin:
    """Name a zero-byte image file when loading a sample fails.

    Wraps ``prepare_data`` of an mmengine dataset: when the pipeline raises
    (e.g. OpenCV's assertion on an empty buffer) and the sample's
    ``img_path`` is a zero-byte file, an OSError naming the file is raised
    instead (the original error is chained). Other errors pass unchanged, and
    nothing is checked on the success path.
    """

    def prepare_data(self, idx: int) -> Any:
        try:
            return super().prepare_data(idx)
        except Exception as e:
            try:
                path = self.get_data_info(idx).get('img_path')
            except Exception:  # noqa: BLE001 - keep the original error
                raise e
            check_not_empty(path, type(self).__name__)
            raise
