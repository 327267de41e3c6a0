# Copyright (c) mmlt contributors. All rights reserved.
"""Post-hoc (test-time) logit adjustments for long-tailed classifiers."""
from typing import Optional

import numpy as np
import torch

from .class_prior import ClassCountsMixin, log_prior

POSTHOC_MODES = (None, 'logit_adjust', 'iif')


def posthoc_offset(counts,
                   mode: Optional[str],
                   tau: float = 1.0) -> Optional[torch.Tensor]:
    """Per-class offset added to the logits at test time.

    - ``'logit_adjust'``: ``-tau * log(pi_c)`` (Menon et al., ICLR 2021).
    - ``'iif'``: ``tau * log((N - n_c) / n_c)``, the inverse image frequency
      of the APA paper (Alexandridis et al., ECCV 2024; variant ``rel``).
    """
    if mode is None:
        return None
    if mode == 'logit_adjust':
        return -tau * log_prior(counts)
    if mode == 'iif':
        counts = np.asarray(counts, dtype=np.float64)
        return tau * torch.as_tensor(
            np.log((counts.sum() - counts) / counts), dtype=torch.float32)
    raise ValueError(f'posthoc must be one of {POSTHOC_MODES}, got {mode!r}.')


class PostHocAdjustMixin(ClassCountsMixin):
    """Adds ``posthoc`` / ``posthoc_tau`` test-time adjustment to a head."""

    def _init_posthoc(self,
                      posthoc: Optional[str],
                      posthoc_tau: float,
                      class_counts=None) -> None:
        if posthoc not in POSTHOC_MODES:
            raise ValueError(
                f'posthoc must be one of {POSTHOC_MODES}, got {posthoc!r}.')
        self.posthoc = posthoc
        self.posthoc_tau = posthoc_tau
        self._offset = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def set_class_counts(self, counts) -> None:
        """Set training counts; validated only when ``posthoc`` uses them."""
        if self.posthoc is None:
            self.class_counts = np.asarray(counts, dtype=np.int64)
        else:
            super().set_class_counts(counts)

    def _on_class_counts(self, counts) -> None:
        self._offset = posthoc_offset(counts, self.posthoc, self.posthoc_tau)

    def adjust_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """Apply the post-hoc offset (identity when ``posthoc`` is None)."""
        if self.posthoc is None:
            return logits
        self._require_class_counts()
        return logits + self._offset.to(logits)
