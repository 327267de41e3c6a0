# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.dist import all_gather, broadcast, get_rank, get_world_size

from mmlt.ot import partial_ot_pseudo_labels
from mmlt.registry import MODELS
from .logits_bank import LogitsBank


def gather_rows(x: torch.Tensor, dim: int = 0):
    """All-gather ``x`` along ``dim`` across ranks (sizes may differ).

    Returns:
        tuple: the concatenation in rank order and this rank's row offset.
    """
    world = get_world_size()
    if world == 1:
        return x, 0
    size = torch.tensor([x.shape[dim]], device=x.device)
    sizes = [int(s) for s in torch.cat(all_gather(size))]
    pad = max(sizes) - x.shape[dim]
    if pad:
        shape = list(x.shape)
        shape[dim] = pad
        x = torch.cat([x, x.new_zeros(shape)], dim)
    parts = [
        p.narrow(dim, 0, s) for p, s in zip(all_gather(x.contiguous()), sizes)
    ]
    return torch.cat(parts, dim), sum(sizes[:get_rank()])


@MODELS.register_module()
class PartialOTPseudoLabeler(nn.Module):
    """Soft pseudo-labels from progressive partial optimal transport (P²OT).

    Zhang, Ren and He, *P²OT: Progressive Partial Optimal Transport for Deep
    Imbalanced Clustering*, ICLR 2024. For each view of a batch (and each
    head) the transport problem is solved on a :class:`LogitsBank` of past
    logits: the first view is enqueued and solved, the next views overwrite
    the same rows and are solved again, warm-started from the previous
    solve's scaling vector (one per head, kept across views, steps and
    epochs, as in the official code). The rows of the current batch, ``N *
    Q`` (rows sum to the sample weights in ``[0, 1]``), are the targets.
    Until the bank is full (it is filled by :class:`LogitsBankHook`) the
    problem is solved on the batch alone.

    Under DDP the logits of every rank are gathered, so every rank holds the
    same bank; rank 0 solves and broadcasts the targets and the warm start,
    so all ranks use the same pseudo-labels.

    The transported fraction ``rho`` is set every iteration by
    :class:`RhoRampHook`.

    Args:
        num_clusters (int): Clusters per head ``K``.
        num_heads (int): Heads ``H`` (solved together). Defaults to 1.
        bank_size (int): Rows of the logits bank; 0 solves on the batch.
            Defaults to 5120.
        rho (float): Initial transported fraction. Defaults to 0.1.
        epsilon (float): Entropic regularisation. Defaults to 0.1.
        lam (float): KL weight on the cluster sizes. Defaults to 1.0.
        tol (float): Row-marginal tolerance. Defaults to 1e-6.
        max_iter (int): Scaling iteration cap. Defaults to 1000.
        relax_columns (bool): False gives the "POT" ablation (exact uniform
            cluster sizes); with ``rho = 1`` that is plain balanced Sinkhorn
            (SeLa / SwAV). Defaults to True.
        method (str): Solver method, see :func:`solve_partial_ot`.
        anderson (int): Anderson memory of the solver. Defaults to 8.
    """

    def __init__(self,
                 num_clusters: int,
                 num_heads: int = 1,
                 bank_size: int = 5120,
                 rho: float = 0.1,
                 epsilon: float = 0.1,
                 lam: float = 1.0,
                 tol: float = 1e-6,
                 max_iter: int = 1000,
                 relax_columns: bool = True,
                 method: str = 'auto',
                 anderson: int = 8):
        super().__init__()
        if num_clusters < 2:
            raise ValueError(f'num_clusters must be >= 2, got {num_clusters}.')
        if num_heads < 1:
            raise ValueError(f'num_heads must be >= 1, got {num_heads}.')
        self.num_clusters = num_clusters
        self.num_heads = num_heads
        self.solver_cfg = dict(
            epsilon=epsilon,
            lam=lam,
            tol=tol,
            max_iter=max_iter,
            relax_columns=relax_columns,
            method=method,
            anderson=anderson)
        self.bank = LogitsBank(num_heads, num_clusters,
                               bank_size) if bank_size > 0 else None
        self.register_buffer('rho',
                             torch.tensor(float(rho), dtype=torch.float64))
        self.register_buffer(
            'log_b',
            torch.full((num_heads, num_clusters + 1),
                       float('nan'),
                       dtype=torch.float64))
        self.last_n_iter: Optional[torch.Tensor] = None
        # targets of the last view for the gathered (all-rank) batch
        self.last_plan: Optional[torch.Tensor] = None
        self.set_rho(rho)

    def set_rho(self, rho: float) -> None:
        """Set the transported fraction (``RhoRampHook`` calls this)."""
        if not 0 < rho <= 1:
            raise ValueError(f'rho must be in (0, 1], got {rho}.')
        self.rho.fill_(float(rho))

    @property
    def warm_start(self) -> Optional[torch.Tensor]:
        return None if bool(torch.isnan(self.log_b).all()) else self.log_b

    def solve(self, logits: torch.Tensor,
              indices: Optional[torch.Tensor]) -> torch.Tensor:
        """Pseudo-labels ``(H, N, K)`` for the ``(H, N, K)`` logits."""
        res = partial_ot_pseudo_labels(
            logits,
            float(self.rho),
            init_log_b=self.warm_start,
            **self.solver_cfg)
        self.log_b.copy_(res.log_b)
        self.last_n_iter = res.n_iter
        return res.plan

    @torch.no_grad()
    def forward(self,
                view_logits: List[torch.Tensor],
                indices: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        """Targets for each view.

        Args:
            view_logits (list[torch.Tensor]): ``(H, B, K)`` logits per view.
            indices (torch.Tensor, optional): ``(B, )`` data indices of the
                batch (needed by subclasses that use sample relations).

        Returns:
            list[torch.Tensor]: ``(H, B, K)`` soft targets per view.
        """
        if indices is None:
            indices = torch.full((view_logits[0].shape[1], ),
                                 -1,
                                 dtype=torch.long,
                                 device=view_logits[0].device)
        indices, offset = gather_rows(indices.to(view_logits[0].device))
        use_bank = self.bank is not None and self.bank.is_full
        targets = []
        for v, logits in enumerate(view_logits):
            logits, _ = gather_rows(logits.detach().float(), dim=1)
            if use_bank:
                write = self.bank.enqueue if v == 0 else self.bank.overwrite
                rows = write(logits, indices)
                problem, problem_idx = self.bank.logits, self.bank.indices
            else:
                rows, problem, problem_idx = None, logits, indices
            if get_rank() == 0:
                plan = self.solve(problem, problem_idx)
                plan = plan if rows is None else plan[:, rows]
            else:
                plan = logits.new_empty(logits.shape)
            if get_world_size() > 1:
                broadcast(plan, 0)
                broadcast(self.log_b, 0)
            self.last_plan = plan
            local = view_logits[v].shape[1]
            targets.append(plan[:, offset:offset + local].to(
                view_logits[v].dtype))
        return targets
