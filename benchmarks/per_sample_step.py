"""One SGD step per sample (784-300-10) and mini-batch epochs, measured side by side in one run.

Rows measured, all on the same MNIST images, one BLAS thread:

1. a plain NumPy per-sample loop (forward with ``W @ x``, deltas, ``np.outer``
   updates: the arithmetic of eq. 6.1-6.6 in eight lines, no checks);
2. the vectorized network, batch size 1, float64 (``Network.train_batch``);
3. the object network (``bpcourse.core.oo_network``), per sample, on a few samples;
4. mini-batch epochs (float32, batch 32 and 128) of this checkout's vectorized
   network and of the vectorized network as it was at the baseline commit
   (loaded from git), extrapolated to 60,000 images from ``--subset`` images.

Usage: ``.venv/bin/python benchmarks/per_sample_step.py [--samples 2000] [--subset 12000]``.
Each figure is the best of ``--repeats`` CPU-time measurements (one BLAS thread), and
the rows compared with each other are timed in alternation, so that load from other
processes inflates them less and alike.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bpcourse.core import oo_network, vectorized  # noqa: E402
from bpcourse.core.activations import sigmoid  # noqa: E402
from bpcourse.core.data import load_mnist, one_hot  # noqa: E402

BASELINE = "7c062a8"
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
    for n in range(len(X)):
        network.train_batch(X[n:n + 1], T[n:n + 1], eta)


def best_of(repeats, *functions):
    """The best (smallest) CPU time of each function over ``repeats`` rounds, in seconds.

    CPU time (one BLAS thread) is what the computation costs; wall-clock time on a shared
    machine adds whatever other processes take. The functions alternate within a round,
    so that a change in the machine's load hits all of them alike.
    """
    best = [float("inf")] * len(functions)
    for _ in range(repeats):
        for index, function in enumerate(functions):
            start = time.process_time()
            function()
            best[index] = min(best[index], time.process_time() - start)
    return best


def baseline_vectorized():
    """The vectorized module of the baseline commit, imported from a temporary file (None if git fails)."""
    root = Path(__file__).resolve().parents[1]
    try:
        source = subprocess.run(["git", "show", f"{BASELINE}:bpcourse/core/vectorized.py"], cwd=root,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = tempfile.mkdtemp(prefix="bpcourse-baseline-")
    path = Path(folder) / "baseline_vectorized.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_vectorized", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000, help="samples for the per-sample rows")
    parser.add_argument("--oo-samples", type=int, default=3, help="samples for the object network")
    parser.add_argument("--subset", type=int, default=12000, help="images per mini-batch timing")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    X, y = load_mnist("train")
    T = one_hot(y)
    eta = 0.1
    X1, T1 = X[:args.samples], T[:args.samples]

    network = vectorized.Network((784, 300, 10), seed=0)
    start_weights = network.get_weights()
    plain, ours = (seconds / len(X1) for seconds in best_of(
        args.repeats,
        lambda: plain_numpy_loop([(W.copy(), b.copy()) for W, b in start_weights], X1, T1, eta),
        lambda: (network.set_weights(start_weights), per_sample(network, X1, T1, eta))))
    objects = oo_network.Network((784, 300, 10), seed=0)
    n_oo = args.oo_samples
    oo = best_of(1, lambda: objects.train(T[:n_oo], X[:n_oo], eta, 1))[0] / n_oo

    print("One SGD step on one sample, 784-300-10, float64 (best of "
          f"{args.repeats}; {len(X1)} samples, object network {n_oo}):")
    print(f"  plain NumPy loop                {1e6 * plain:9.1f} µs per sample")
    print(f"  vectorized Network, batch 1     {1e6 * ours:9.1f} µs per sample  "
          f"({ours / plain:.2f} x the plain loop)")
    print(f"  object network                  {1e6 * oo:9.1f} µs per sample  "
          f"(vectorized batch 1 is {oo / ours:.0f} x faster)")

    baseline = baseline_vectorized()
    X32, T32 = X[:args.subset].astype(np.float32), T[:args.subset].astype(np.float32)
    print(f"\nMini-batch epochs, float32, extrapolated to 60,000 images from {args.subset:,} "
          f"(best of {args.repeats}):")
    for batch in (32, 128):
        row = f"  batch {batch:3d}: this checkout "
        net = vectorized.Network((784, 300, 10), seed=0, dtype=np.float32)
        runs = [lambda: net.train(T32, X32, 1.0, 1, batch_size=batch)]
        if baseline is not None:
            old_net = baseline.Network((784, 300, 10), seed=0, dtype=np.float32)
            runs.append(lambda: old_net.train(T32, X32, 1.0, 1, batch_size=batch))
        seconds = [s * 60000 / args.subset for s in best_of(args.repeats, *runs)]
        row += f"{seconds[0]:6.2f} s per epoch"
        if baseline is not None:
            row += f", baseline {BASELINE} {seconds[1]:6.2f} s per epoch ({seconds[0] / seconds[1]:.2f} x)"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
