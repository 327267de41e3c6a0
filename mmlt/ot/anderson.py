# Copyright (c) mmlt contributors. All rights reserved.
"""Batched, safeguarded Anderson acceleration of a fixed-point iteration."""
from typing import Optional

import numpy as np


class AndersonAcceleration:
    """Type-II Anderson mixing for ``x = G(x)``, batched over a leading dim.

    Keeps the last ``memory`` differences of iterates and residuals
    ``r = G(x) - x`` and proposes ``x + r - (dX + dR) gamma`` with ``gamma``
    the regularised least-squares solution of ``min |r - dR gamma|``
    (Walker & Ni, *Anderson acceleration for fixed-point iterations*, SIAM J.
    Numer. Anal. 2011). Histories are per row of the batch, so independent
    problems (one per clustering head) share the array ops. The iterates are
    small (one scaling vector per problem), so this runs in NumPy on the host;
    the caller keeps the large matrices on its device.

    Args:
        batch (int): Number of independent problems ``H``.
        dim (int): Size of one iterate.
        memory (int): Number of stored differences ``m`` (>= 1).
        reg (float): Tikhonov term relative to the largest diagonal entry of
            the Gram matrix. Defaults to 1e-10.
    """

    def __init__(self, batch: int, dim: int, memory: int, reg: float = 1e-10):
        if memory < 1:
            raise ValueError(f'memory must be >= 1, got {memory}.')
        self.memory = memory
        self.reg = reg
        self.d_x = np.zeros((batch, memory, dim))
        self.d_r = np.zeros((batch, memory, dim))
        self.count = 0  # filled slots (same for every row of the batch)
        self.pos = 0  # next slot of the ring buffer
        self.prev_x: Optional[np.ndarray] = None
        self.prev_r: Optional[np.ndarray] = None

    def reset(self) -> None:
        """Forget the history (the next step is a plain fixed-point step)."""
        self.count = 0
        self.pos = 0
        self.prev_x = None
        self.prev_r = None

    def shift_origin(self, shift: np.ndarray) -> None:
        """Iterates were re-expressed as ``x - shift``; differences keep."""
        if self.prev_x is not None:
            self.prev_x = self.prev_x - shift

    def step(self, x: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Next iterate from the current iterate ``x`` and residual ``r``.

        Args:
            x (np.ndarray): Iterates, ``(H, dim)``.
            r (np.ndarray): Residuals ``G(x) - x``, ``(H, dim)``.

        Returns:
            np.ndarray: The proposed iterates, ``(H, dim)``.
        """
        if self.prev_x is not None:
            np.subtract(x, self.prev_x, out=self.d_x[:, self.pos])
            np.subtract(r, self.prev_r, out=self.d_r[:, self.pos])
            self.pos = (self.pos + 1) % self.memory
            self.count = min(self.count + 1, self.memory)
        self.prev_x, self.prev_r = x, r
        if self.count == 0:
            return x + r
        d_x = self.d_x[:, :self.count]
        d_r = self.d_r[:, :self.count]
        gram = d_r @ d_r.transpose(0, 2, 1)  # (H, m, m)
        scale = gram.diagonal(axis1=1, axis2=2).max(1)
        idx = np.arange(self.count)
        gram[:, idx, idx] += self.reg * scale[:, None] + 1e-300
        rhs = d_r @ r[:, :, None]  # (H, m, 1)
        try:
            gamma = np.linalg.solve(gram, rhs)
        except np.linalg.LinAlgError:
            self.reset()
            return x + r
        return x + r - ((d_x + d_r).transpose(0, 2, 1) @ gamma)[:, :, 0]
