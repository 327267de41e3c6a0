# Copyright (c) mmlt contributors. All rights reserved.
"""Sparse k-nearest-neighbour Gaussian similarity graph (SP²OT's ``S``)."""
from typing import Optional

import torch

__all__ = ['KNNGraph']


class KNNGraph:
    """Sparse kNN similarity ``S`` over a data set, kept as ``(N, k)`` lists.

    ``S_ij = exp(-|f_i - f_j|^2 / (2 sigma^2 D))`` for the ``k`` nearest
    neighbours ``j != i`` of ``i`` (``D`` = feature dimension), 0 elsewhere;
    ``S`` is asymmetric (``j`` may be a neighbour of ``i`` and not the
    reverse). This is the ``gauss`` kernel with ``rmDiag knn`` post-processing
    of SP²OT (Zhang, Ren and He, *SP²OT: Semantic-Regularized Progressive
    Partial Optimal Transport for Imbalanced Clustering*, arXiv 2404.03446),
    built without ever forming the dense ``N x N`` matrix: distances are
    computed ``chunk_size`` rows at a time and only the top-k are kept.

    Args:
        indices (torch.Tensor): ``(N, k)`` neighbour indices (long).
        values (torch.Tensor): ``(N, k)`` similarities.
    """

    def __init__(self, indices: torch.Tensor, values: torch.Tensor):
        if indices.shape != values.shape or indices.dim() != 2:
            raise ValueError('indices and values must both be (N, k), got '
                             f'{tuple(indices.shape)} and '
                             f'{tuple(values.shape)}.')
        self.indices = indices.long()
        self.values = values

    @property
    def num_nodes(self) -> int:
        return self.indices.shape[0]

    @classmethod
    def from_features(cls,
                      features: torch.Tensor,
                      k: int = 20,
                      sigma: float = 2.0,
                      chunk_size: Optional[int] = None) -> 'KNNGraph':
        """Build the graph from ``(N, D)`` features (un-normalised, as in
        SP²OT).

        Args:
            features (torch.Tensor): ``(N, D)`` features.
            k (int): Neighbours per node (self excluded). Defaults to 20.
            sigma (float): Kernel width. Defaults to 2.0.
            chunk_size (int, optional): Rows per distance block. Defaults to
                a block of about 2**24 distances.
        """
        if features.dim() != 2:
            raise ValueError(
                f'features must be (N, D), got {tuple(features.shape)}.')
        n, dim = features.shape
        if not 1 <= k < n:
            raise ValueError(f'k must be in [1, N - 1] = [1, {n - 1}], got '
                             f'{k}.')
        if not sigma > 0:
            raise ValueError(f'sigma must be > 0, got {sigma}.')
        feats = features.detach().float()
        sq = (feats * feats).sum(1)
        chunk = chunk_size or max(1, (1 << 24) // n)
        all_idx, all_val = [], []
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            d2 = torch.addmm(
                sq[start:stop, None] + sq[None],
                feats[start:stop],
                feats.T,
                alpha=-2).clamp_min_(0)
            rows = torch.arange(stop - start, device=feats.device)
            d2[rows, rows + start] = float('inf')  # no self-loops
            d2k, idx = d2.topk(k, dim=1, largest=False)
            all_idx.append(idx)
            all_val.append(torch.exp(-d2k / (2 * sigma**2 * dim)))
        return cls(torch.cat(all_idx), torch.cat(all_val))

    def to_sparse(self) -> torch.Tensor:
        """The whole ``(N, N)`` graph as a sparse COO tensor."""
        n, k = self.indices.shape
        rows = torch.arange(n, device=self.indices.device).repeat_interleave(k)
        return torch.sparse_coo_tensor(
            torch.stack([rows, self.indices.flatten()]),
            self.values.flatten(), (n, n),
            check_invariants=False).coalesce()

    def subgraph(self, idx: torch.Tensor) -> torch.Tensor:
        """``S[idx][:, idx]`` as a sparse COO tensor, in ``O(len(idx) k)``.

        Repeated entries of ``idx`` (a sample twice in a memory bank) are
        handled like dense indexing would.

        Args:
            idx (torch.Tensor): ``(n,)`` node indices.

        Returns:
            torch.Tensor: ``(n, n)`` sparse similarity on ``idx``'s device.
        """
        device = idx.device
        idx = idx.long().to(self.indices.device)
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.num_nodes):
            raise IndexError(f'subgraph indices must be in [0, '
                             f'{self.num_nodes}), got [{int(idx.min())}, '
                             f'{int(idx.max())}].')
        n, k = idx.numel(), self.indices.shape[1]
        nbrs = self.indices[idx].flatten()
        vals = self.values[idx].flatten()
        sorted_idx, order = idx.sort()
        lo = torch.searchsorted(sorted_idx, nbrs)
        hi = torch.searchsorted(sorted_idx, nbrs, right=True)
        count = hi - lo  # bank positions holding each neighbour
        total = int(count.sum())
        rows = torch.arange(n, device=idx.device).repeat_interleave(k)
        rows = rows.repeat_interleave(count)
        first = torch.cumsum(count, 0) - count
        within = torch.arange(total, device=idx.device) - \
            first.repeat_interleave(count)
        cols = order[lo.repeat_interleave(count) + within]
        out = torch.sparse_coo_tensor(
            torch.stack([rows, cols]),
            vals.repeat_interleave(count), (n, n),
            check_invariants=False)
        return out.coalesce().to(device)
