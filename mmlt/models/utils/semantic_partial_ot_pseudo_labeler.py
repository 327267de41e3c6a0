# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch

from mmlt.ot import KNNGraph, lam1_schedule, semantic_partial_ot_pseudo_labels
from mmlt.registry import MODELS
from .partial_ot_pseudo_labeler import PartialOTPseudoLabeler


@MODELS.register_module()
class SemanticPartialOTPseudoLabeler(PartialOTPseudoLabeler):
    """SP²OT pseudo-labels: P²OT plus a sample-relation reward, solved by
    Majorization-Minimization.

    Zhang, Ren and He, *SP²OT: Semantic-Regularized Progressive Partial
    Optimal Transport for Imbalanced Clustering*, arXiv 2404.03446. The
    similarity is a sparse kNN Gaussian graph over the whole training set
    (frozen initial backbone features, built once by :class:`KNNGraphHook`);
    each solve uses its restriction to the samples in the bank. The relation
    weight follows ``lam1 = (1 - rho) * lam_init`` (strong while few samples
    are transported, 0 at ``rho = 1``) unless ``lam_fixed``.

    The graph is stored in buffers, so checkpoints carry it.

    Args:
        lam_init (float): ``lam1`` at ``rho = 0``. Defaults to 1000.
        lam_fixed (bool): Keep ``lam1 = lam_init``. Defaults to False.
        eta (float): MM step. Defaults to 1.
        max_outer (int): MM iteration cap. Defaults to 100.
        outer_tol (float): MM stop on the objective change. Defaults to 1e-6.
        tol (float): Inner row-marginal tolerance. Defaults to 1e-10.
        **kwargs: See :class:`PartialOTPseudoLabeler`.
    """

    def __init__(self,
                 lam_init: float = 1000.,
                 lam_fixed: bool = False,
                 eta: float = 1.0,
                 max_outer: int = 100,
                 outer_tol: float = 1e-6,
                 tol: float = 1e-10,
                 **kwargs):
        super().__init__(tol=tol, **kwargs)
        if kwargs.get('relax_columns', True) is False:
            raise ValueError('SP²OT needs relax_columns=True.')
        self.lam_init = lam_init
        self.lam_fixed = lam_fixed
        self.mm_cfg = dict(eta=eta, max_outer=max_outer, outer_tol=outer_tol)
        self.register_buffer('graph_indices',
                             torch.zeros(0, 0, dtype=torch.long))
        self.register_buffer('graph_values', torch.zeros(0, 0))
        self.last_n_outer: Optional[int] = None

    @property
    def lam1(self) -> float:
        if self.lam_fixed:
            return self.lam_init
        return lam1_schedule(float(self.rho), self.lam_init)

    @property
    def needs_graph(self) -> bool:
        return self.graph_indices.numel() == 0

    @property
    def graph(self) -> Optional[KNNGraph]:
        if self.needs_graph:
            return None
        return KNNGraph(self.graph_indices, self.graph_values)

    def set_graph(self, graph: KNNGraph) -> None:
        """Store the kNN similarity graph over the training set."""
        self.graph_indices = graph.indices.to(self.rho.device)
        self.graph_values = graph.values.float().to(self.rho.device)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # the graph's size is only known once built: take the stored shape
        for name in ('graph_indices', 'graph_values'):
            stored = state_dict.get(prefix + name)
            if stored is not None:
                setattr(
                    self, name,
                    torch.empty_like(
                        stored, device=getattr(self, name).device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def solve(self, logits: torch.Tensor,
              indices: Optional[torch.Tensor]) -> torch.Tensor:
        graph = self.graph
        if graph is None:
            raise RuntimeError(
                'SemanticPartialOTPseudoLabeler has no similarity graph; add '
                "dict(type='KNNGraphHook', ...) to custom_hooks.")
        if indices is None or bool((indices < 0).any()):
            raise RuntimeError(
                'SP²OT needs the data index of every sample in the batch '
                '(`sample_idx` in the data samples; keep it in the '
                "PackInputs meta_keys).")
        similarity = graph.subgraph(indices)
        res = semantic_partial_ot_pseudo_labels(
            logits,
            similarity,
            float(self.rho),
            self.lam1,
            init_log_b=self.warm_start,
            inner_tol=self.solver_cfg['tol'],
            inner_max_iter=self.solver_cfg['max_iter'],
            epsilon=self.solver_cfg['epsilon'],
            lam=self.solver_cfg['lam'],
            anderson=self.solver_cfg['anderson'],
            method=self.solver_cfg['method'],
            **self.mm_cfg)
        self.log_b.copy_(res.log_b)
        self.last_n_iter = torch.tensor(res.n_inner)
        self.last_n_outer = res.n_outer
        return res.plan
