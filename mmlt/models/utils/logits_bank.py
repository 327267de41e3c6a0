# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn

from mmlt.registry import MODELS


@MODELS.register_module()
class LogitsBank(nn.Module):
    """FIFO ring buffer of past logits (one slot set per head) and the data
    indices they belong to.

    P²OT solves its transport problem on this bank instead of the current
    batch, so rare clusters are present in every solve ("historical
    predictions as a memory buffer", Zhang et al., ICLR 2024). The bank
    holds ``size`` rows for each of ``num_heads`` heads; it is written by
    :meth:`enqueue` (advancing the pointer) or :meth:`overwrite` (the same
    slots again, for the second view of a batch). Everything is a buffer, so
    checkpoints carry the bank and a resumed run continues with it.

    Args:
        num_heads (int): Number of clustering heads ``H``.
        num_clusters (int): Logits per head ``K``.
        size (int): Rows of the bank. Defaults to 5120 (10 x 512).
    """

    def __init__(self, num_heads: int, num_clusters: int, size: int = 5120):
        super().__init__()
        if size < 1:
            raise ValueError(f'LogitsBank size must be >= 1, got {size}.')
        self.size = size
        self.register_buffer('logits',
                             torch.zeros(num_heads, size, num_clusters))
        self.register_buffer('indices',
                             torch.full((size, ), -1, dtype=torch.long))
        self.register_buffer('ptr', torch.zeros((), dtype=torch.long))
        self.register_buffer('num_written', torch.zeros((), dtype=torch.long))

    @property
    def is_full(self) -> bool:
        """Every row holds a real sample."""
        return int(self.num_written) >= self.size

    def reset(self) -> None:
        self.ptr.zero_()
        self.num_written.zero_()
        self.indices.fill_(-1)

    def _slots(self, num: int, start: int) -> torch.Tensor:
        if num > self.size:
            raise ValueError(f'Cannot write {num} rows into a LogitsBank of '
                             f'{self.size} rows; raise bank_size.')
        return (torch.arange(num, device=self.logits.device) + start) % \
            self.size

    @torch.no_grad()
    def enqueue(self, logits: torch.Tensor,
                indices: torch.Tensor) -> torch.Tensor:
        """Write a batch after the last one.

        Args:
            logits (torch.Tensor): ``(H, B, K)``.
            indices (torch.Tensor): ``(B, )`` data indices.

        Returns:
            torch.Tensor: The ``(B, )`` rows written.
        """
        slots = self._slots(logits.shape[1], int(self.ptr))
        self._write(slots, logits, indices)
        self.ptr.copy_((self.ptr + logits.shape[1]) % self.size)
        self.num_written.add_(logits.shape[1])
        return slots

    @torch.no_grad()
    def overwrite(self, logits: torch.Tensor,
                  indices: torch.Tensor) -> torch.Tensor:
        """Write a batch over the rows of the last :meth:`enqueue`."""
        num = logits.shape[1]
        slots = self._slots(num, int(self.ptr) - num)
        self._write(slots, logits, indices)
        return slots

    def _write(self, slots, logits, indices):
        self.logits[:, slots] = logits.detach().to(self.logits)
        self.indices[slots] = indices.to(self.indices)
