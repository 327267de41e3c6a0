# Copyright (c) mmlt contributors. All rights reserved.
"""Per-class accuracy against training frequency."""
from typing import Optional, Tuple

import numpy as np

__all__ = ['plot_per_class_accuracy']


def plot_per_class_accuracy(
    per_class: dict,
    out_file: str,
    title: str = '',
    reference: Optional[dict] = None,
    labels: Tuple[str, str] = ('method', 'reference')
) -> str:
    """Plot per-class accuracy with classes sorted by training count.

    Args:
        per_class (dict): ``ShotAccuracy.per_class`` (``train_counts``,
            ``accuracy``, ``group``, ``summary``, ``thresholds``).
        out_file (str): PNG path.
        title (str): Figure title.
        reference (dict, optional): Another ``per_class`` of the same
            classes and train counts (e.g. a plain cross-entropy run),
            drawn as black outlined bars over the coloured ones so the
            per-class gain is visible. Defaults to None.
        labels (tuple[str, str]): Legend names of ``per_class`` and
            ``reference`` (used only with a reference).

    Returns:
        str: ``out_file``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    counts = np.asarray(per_class['train_counts'])
    acc = np.array([np.nan if a is None else a for a in per_class['accuracy']])
    group = np.asarray(per_class['group'])
    order = np.argsort(-counts, kind='stable')
    x = np.arange(len(order))
    colors = {'many': '#1f77b4', 'medium': '#ff7f0e', 'few': '#d62728'}

    fig, ax = plt.subplots(figsize=(max(6, min(16, len(x) / 8)), 4), dpi=120)
    ax.bar(
        x,
        acc[order],
        width=1.0,
        color=[colors[g] for g in group[order]],
        alpha=0.8,
        label=labels[0])
    if reference is not None:
        if list(reference['train_counts']) != counts.tolist():
            raise ValueError(
                'plot_per_class_accuracy: the reference has other train '
                f'counts ({list(reference["train_counts"])}) than per_class '
                f'({counts.tolist()}); both must describe the same classes')
        ref = np.array(
            [np.nan if a is None else a for a in reference['accuracy']])
        ax.bar(
            x,
            ref[order],
            width=0.8,
            fill=False,
            edgecolor='black',
            lw=1.2,
            label=labels[1])
        ax.legend(loc='lower left', fontsize=8)
    ax.set_xlabel('classes sorted by training images (head -> tail)')
    ax.set_ylabel('test accuracy (%)')
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax2 = ax.twinx()
    ax2.plot(x, counts[order], color='black', lw=1.5)
    ax2.set_yscale('log')
    ax2.set_ylabel('training images')
    summary = per_class.get('summary', {})
    for name in ('many', 'medium', 'few'):
        idx = np.flatnonzero(group[order] == name)
        if idx.size:
            if idx[0] > 0:
                ax.axvline(idx[0] - 0.5, color='gray', ls='--', lw=1)
            val = summary.get(name, None)
            val = float('nan') if val is None else val  # null in the JSON
            ax.text(
                idx.mean(),
                95,
                f'{name}\n{val:.1f}%',
                ha='center',
                va='top',
                fontsize=8,
                color=colors[name])
    top1 = summary.get('top1')
    ax.set_title(title or (f'top-1 {top1:.2f}%' if top1 is not None else ''))
    fig.tight_layout()
    fig.savefig(out_file)
    plt.close(fig)
    return out_file
