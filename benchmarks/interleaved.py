# Copyright (c) mmlt contributors. All rights reserved.
"""What the training-speed benchmarks share (imported by the scripts next to
it): their common options, the CIFAR-100-LT IF100 class counts and labels,
timed rounds interleaved over the contenders, and tables of images/s with
the ratios of the medians."""
import json
import platform
import statistics
import time

import numpy as np
import torch


def add_common_args(parser,
                    contenders,
                    batch_size,
                    repeats,
                    warmup,
                    batch_help=None):
    """``--batch-size``, ``--repeats``, ``--warmup``, ``--threads``,
    ``--contenders`` (a subset of ``contenders``), ``--seed`` and
    ``--json``."""
    parser.add_argument(
        '--batch-size', type=int, default=batch_size, help=batch_help)
    parser.add_argument(
        '--repeats',
        type=int,
        default=repeats,
        help='timed rounds per contender')
    parser.add_argument('--warmup', type=int, default=warmup)
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch threads (0: keep the default)')
    parser.add_argument(
        '--contenders',
        nargs='+',
        default=None,
        help=f'subset of {contenders} (default: all available)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')


def setup(threads):
    """Sets the torch threads (0: keep the default), registers mmlt's
    components and keeps mmengine's logger to warnings."""
    if threads:
        torch.set_num_threads(threads)
    import logging

    from mmengine.logging import MMLogger

    import mmlt  # noqa: F401  (registers the components)
    MMLogger.get_current_instance().setLevel(logging.WARNING)


def select_contenders(requested, contenders, repo, repo_option):
    """``requested`` (default: ``contenders``, the ``official*`` ones only
    with ``repo``), checked: known names, ``repo`` for the official code."""
    names = requested or [
        n for n in contenders if repo or not n.startswith('official')
    ]
    unknown = set(names) - set(contenders)
    if unknown:
        raise SystemExit(f'unknown contenders {sorted(unknown)}; '
                         f'choose from {contenders}')
    if any(n.startswith('official') for n in names) and not repo:
        raise SystemExit(f'the official contenders need {repo_option}')
    return names


def cifar100_lt_counts():
    """Images per class of CIFAR-100-LT IF100."""
    return [int(500 * 0.01**(c / 99)) for c in range(100)]


def cifar100_lt_labels(rng, batch_size):
    """``batch_size`` labels drawn with the CIFAR-100-LT IF100 frequencies
    from the numpy generator ``rng``."""
    counts = np.asarray(cifar100_lt_counts())
    return torch.as_tensor(
        rng.choice(100, size=batch_size, p=counts / counts.sum()))


def machine():
    """torch version, threads and processor, the start of every report."""
    return (f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
            f'{platform.processor() or platform.machine()}')


class Timed:
    """Calls ``fn``; adds the wall-clock and process CPU seconds it took to
    ``self.seconds`` and ``self.cpu_seconds``."""

    def __init__(self, fn):
        self.fn = fn
        self.seconds = self.cpu_seconds = 0.

    def __call__(self, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = self.fn(*args, **kwargs)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu
        return out

    def __getattr__(self, name):
        return getattr(self.fn, name)


def interleaved_rounds(steps,
                       repeats,
                       warmup,
                       batch_size,
                       digits=0,
                       parts=None):
    """Runs every step of ``steps`` (name -> callable) ``warmup`` times, then
    ``repeats`` rounds that each time every step once, in turn, so that
    background load hits all of them alike; prints the images/s of every
    round (``digits`` decimals).

    Returns name -> ``dict(wall=[...], cpu=[...])``, the wall-clock and
    process CPU seconds of each round; for the names of ``parts`` (name ->
    :class:`Timed` wrapping a part of that step, zeroed before each step)
    also ``part_wall`` and ``part_cpu``."""
    parts = parts or {}
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {
        name: dict(wall=[], cpu=[], part_wall=[], part_cpu=[])
        for name in steps
    }
    for r in range(repeats):
        for name, step in steps.items():
            timer, part = Timed(step), parts.get(name)
            if part is not None:
                part.seconds = part.cpu_seconds = 0.
            timer()
            times[name]['wall'].append(timer.seconds)
            times[name]['cpu'].append(timer.cpu_seconds)
            if part is not None:
                times[name]['part_wall'].append(part.seconds)
                times[name]['part_cpu'].append(part.cpu_seconds)
        print(
            f'round {r + 1}/{repeats}: ' +
            ', '.join(f'{n} {batch_size / t["wall"][-1]:.{digits}f}'
                      for n, t in times.items()),
            flush=True)
    return times


def img_per_s(batch_size, seconds):
    """Median and best images/s of steps of ``batch_size`` images that took
    ``seconds``."""
    return dict(
        median_img_s=batch_size / statistics.median(seconds),
        best_img_s=batch_size / min(seconds))


def ratio(results, name, ref, key='median_img_s', inverse=False):
    """``results[name][key] / results[ref][key]`` (its inverse with
    ``inverse``); nan without a result for ``ref``."""
    if ref not in results:
        return float('nan')
    value = results[name][key] / results[ref][key]
    return 1 / value if inverse else value


def print_table(columns, rows, name_width=16):
    """A header of ``columns`` (``(title, width, format)`` after the
    contender's name) and one line per ``(name, values)`` of ``rows``."""
    print(f'{"contender":<{name_width}}' +
          ''.join(f'{title:>{width}}' for title, width, _ in columns))
    for name, values in rows:
        print(f'{name:<{name_width}}' +
              ''.join(f'{value:>{width}{fmt}}'
                      for value, (_, width, fmt) in zip(values, columns)))


def official_of(name):
    """The official contender of ``name`` (``paco_nchw``: ``official_paco``;
    for an official one a name no contender has)."""
    return f'official_{name.split("_")[0]}'


def print_throughput(results, ratios):
    """The table of median and best images/s of ``results`` and, per
    ``(title, width, ref)`` of ``ratios``, the ratio of the median to that
    of the contender ``ref(name)``."""
    columns = [('median img/s', 14, '.1f'), ('best img/s', 12, '.1f')]
    columns += [(title, width, '.2f') for title, width, _ in ratios]
    rows = []
    for name, res in results.items():
        values = [res['median_img_s'], res['best_img_s']]
        values += [ratio(results, name, ref(name)) for _, _, ref in ratios]
        rows.append((name, values))
    print_table(columns, rows)


def throughput_table(steps, args, ratios):
    """:func:`interleaved_rounds` over ``steps`` (``args``: the common
    options), then :func:`print_throughput` with ``ratios``; returns name ->
    ``dict(median_img_s=..., best_img_s=...)``."""
    times = interleaved_rounds(steps, args.repeats, args.warmup,
                               args.batch_size)
    results = {
        name: img_per_s(args.batch_size, t['wall'])
        for name, t in times.items()
    }
    print()
    print_throughput(results, ratios)
    return results


def save_json(path, output):
    """Writes ``output`` to ``path`` as JSON (nothing without a path)."""
    if path:
        with open(path, 'w') as f:
            json.dump(output, f, indent=1)
