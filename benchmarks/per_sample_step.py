"""One SGD step per sample (784-300-10) and mini-batch epochs, measured side by side in one run.

Rows measured, all on the same MNIST images, one BLAS thread:

1. a plain NumPy per-sample loop (forward with ``W @ x``, deltas, ``np.outer``
   updates: the arithmetic of eq. 6.1-6.6 in eight lines, no checks);
2. the vectorized network, batch size 1, float64: ``Network.train(labels, data, eta, 1)``
   (the text's per-sample SGD: the data are checked once), and ``Network.train_batch``
   called once per sample (every call checks its sample);
3. the object network (``bpcourse.core.oo_network``), per sample, on a few samples;
4. mini-batch epochs (float32, batch 32 and 128) of this checkout's vectorized
   network and of the vectorized network as it was at the baseline commit
   (loaded from git), extrapolated to 60,000 images from ``--subset`` images.

Usage: ``.venv/bin/python benchmarks/per_sample_step.py [--samples 2000] [--subset 12000] [--rounds 15]``.

How it times: the rows compared with each other run in *paired rounds*. In every round
each row runs once on the same work (its CPU time measured, one BLAS thread), in an
order that turns from round to round, so that a change in the machine's load hits all
rows of a round alike. The ratio of two rows is computed within each round, and the
script reports the median of those ratios, the range they spanned, and each row's
median time. On a shared machine single timings vary by 10-30%; the paired median is
what a claim like "at most as long as the plain loop" is judged on.
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import print_machine

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bpcourse.core import oo_network, vectorized  # noqa: E402
from bpcourse.core.activations import sigmoid  # noqa: E402
from bpcourse.core.data import load_mnist, one_hot  # noqa: E402

BASELINE = "0646475"
"""The commit whose vectorized network the mini-batch epochs are compared with."""


def plain_numpy_loop(weights, X, T, eta):
    """The text's per-sample SGD in plain NumPy; ``weights`` [(W1, b1), (W2, b2)] change in place."""
    (W1, b1), (W2, b2) = weights
    for x, t in zip(X, T):
        a = sigmoid(W1 @ x + b1)  # eq. 6.1
        y = sigmoid(W2 @ a + b2)
        d2 = y * (1 - y) * (t - y)  # eq. 6.2
        d1 = a * (1 - a) * (W2.T @ d2)  # eq. 6.3
        W2 += eta * np.outer(d2, a)  # eq. 6.5
        b2 += eta * d2  # eq. 6.6
        W1 += eta * np.outer(d1, x)
        b1 += eta * d1


def per_sample(network, X, T, eta):
    """``Network.train_batch`` once per sample (each call checks its sample)."""
    for n in range(len(X)):
        network.train_batch(X[n:n + 1], T[n:n + 1], eta)


def paired_rounds(rounds, runs):
    """CPU seconds of every run in every round: a list of ``rounds`` lists, one time per run.

    ``runs`` is a list of (prepare, work) pairs: ``prepare()`` (not timed) resets the
    state, ``work()`` is timed. Within a round the order of the runs turns by one
    place each round.
    """
    times = []
    for round_index in range(rounds):
        row = [0.0] * len(runs)
        for offset in range(len(runs)):
            index = (round_index + offset) % len(runs)
            prepare, work = runs[index]
            prepare()
            start = time.process_time()
            work()
            row[index] = time.process_time() - start
        times.append(row)
    return times


def median_time(times, index):
    return statistics.median(row[index] for row in times)


def ratio_summary(times, index, reference):
    """(median, smallest, largest) over the rounds of times[index] / times[reference]."""
    ratios = [row[index] / row[reference] for row in times]
    return statistics.median(ratios), min(ratios), max(ratios)


BASELINE_MODULES = ("activations", "losses", "vectorized")
"""The modules of bpcourse.core that the baseline's vectorized network is loaded with (they import each other)."""


def baseline_vectorized():
    """The vectorized module of the baseline commit, loaded from git into a temporary folder (None if git fails).

    Its own versions of ``activations`` and ``losses`` come with it (their imports of each other are pointed at
    the copies); the rest of ``bpcourse.core`` is this checkout's.
    """
    root = Path(__file__).resolve().parents[1]
    folder = Path(tempfile.mkdtemp(prefix="bpcourse-baseline-"))
    for name in BASELINE_MODULES:
        try:
            source = subprocess.run(["git", "show", f"{BASELINE}:bpcourse/core/{name}.py"], cwd=root,
                                    capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        for other in BASELINE_MODULES:
            source = source.replace(f"from bpcourse.core.{other} import", f"from baseline_{other} import")
        (folder / f"baseline_{name}.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("baseline_vectorized")
    finally:
        sys.path.remove(str(folder))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000, help="samples for the per-sample rows")
    parser.add_argument("--oo-samples", type=int, default=3, help="samples for the object network")
    parser.add_argument("--subset", type=int, default=12000, help="images per mini-batch timing")
    parser.add_argument("--rounds", type=int, default=15, help="paired rounds per comparison")
    args = parser.parse_args(argv)
    print_machine(np)

    X, y = load_mnist("train")
    T = one_hot(y)
    eta = 0.1
    X1, T1 = X[:args.samples], T[:args.samples]

    network = vectorized.Network((784, 300, 10), seed=0)
    start_weights = network.get_weights()
    plain_weights = []

    def reset_plain():
        plain_weights[:] = [(W.copy(), b.copy()) for W, b in start_weights]

    def reset_network():
        network.set_weights(start_weights)

    times = paired_rounds(args.rounds, [
        (reset_plain, lambda: plain_numpy_loop(plain_weights, X1, T1, eta)),
        (reset_network, lambda: network.train(T1, X1, eta, 1)),
        (reset_network, lambda: per_sample(network, X1, T1, eta)),
    ])
    plain, train, batch1 = (median_time(times, index) / len(X1) for index in range(3))
    objects = oo_network.Network((784, 300, 10), seed=0)
    n_oo = args.oo_samples
    start = time.process_time()
    objects.train(T[:n_oo], X[:n_oo], eta, 1)
    oo = (time.process_time() - start) / n_oo

    print(f"One SGD step on one sample, 784-300-10, float64 ({args.rounds} paired rounds of "
          f"{len(X1)} samples; median CPU time per sample; object network on {n_oo} samples):")
    print(f"  plain NumPy loop                        {1e6 * plain:9.1f} µs")
    for label, value, index in (("vectorized Network.train, batch 1", train, 1),
                                ("vectorized Network.train_batch per sample", batch1, 2)):
        median, low, high = ratio_summary(times, index, 0)
        print(f"  {label:41s} {1e6 * value:6.1f} µs  {median:.2f} x the plain loop "
              f"(rounds: {low:.2f}-{high:.2f} x)")
    print(f"  object network                          {1e6 * oo:9.1f} µs  "
          f"(vectorized Network.train is {oo / train:.0f} x faster)")

    baseline = baseline_vectorized()
    X32, T32 = X[:args.subset].astype(np.float32), T[:args.subset].astype(np.float32)
    print(f"\nMini-batch epochs, float32, rate 1.0, extrapolated to 60,000 images from {args.subset:,} "
          f"({args.rounds} paired rounds, median):")
    for batch in (32, 128):
        net = vectorized.Network((784, 300, 10), seed=0, dtype=np.float32)
        net_start = net.get_weights()
        runs = [(lambda: net.set_weights(net_start), lambda: net.train(T32, X32, 1.0, 1, batch_size=batch))]
        if baseline is not None:
            old_net = baseline.Network((784, 300, 10), seed=0, dtype=np.float32)
            old_start = old_net.get_weights()
            runs.append((lambda: old_net.set_weights(old_start),
                         lambda: old_net.train(T32, X32, 1.0, 1, batch_size=batch)))
        times = paired_rounds(args.rounds, runs)
        scale = 60000 / args.subset
        row = f"  batch {batch:3d}: this checkout {median_time(times, 0) * scale:6.2f} s per epoch"
        if baseline is not None:
            median, low, high = ratio_summary(times, 0, 1)
            same = all(np.array_equal(W0, W1) and np.array_equal(b0, b1)
                       for (W0, b0), (W1, b1) in zip(net.get_weights(), old_net.get_weights()))
            row += (f", baseline {BASELINE} {median_time(times, 1) * scale:6.2f} s per epoch: "
                    f"{median:.2f} x (rounds: {low:.2f}-{high:.2f} x); "
                    f"same weights after the epoch: {'yes' if same else 'NO'}")
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
