"""How long the everyday operations of the course take: timings that used to sit in the tests.

A test asserts behaviour; the seconds of a shared CI machine are measured here and
reported, never asserted:

1. building the text's 784-300-10 object network (238,510 Connection objects);
2. a gradient check of 12 random weights of a 784-30-10 network, object and vectorized;
3. one redraw of the live training plot with 40 epochs of history.

Usage: ``.venv/bin/python benchmarks/small_timings.py [--rounds 3]`` (about 30 s on 2 cores).
Each row prints the median and the range of ``--rounds`` runs.
"""

import argparse
import statistics
import time
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from bpcourse.core import oo_network, vectorized  # noqa: E402
from bpcourse.core.gradcheck import gradient_check  # noqa: E402
from bpcourse.visuals.live_plot import LivePlot  # noqa: E402


def seconds(run, rounds):
    """(median, min, max) wall seconds of ``rounds`` calls of ``run()``."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def gradient_check_of(network_class):
    network = network_class([784, 30, 10], seed=0)
    rng = np.random.default_rng(0)
    x, t = rng.random(784), np.full(10, 0.1)
    t[3] = 0.9
    return lambda: gradient_check(network, x, t, max_weights=12, rng=np.random.default_rng(5))


def history_of(epochs):
    """A History-like record with plausible numbers, evaluated every 2 epochs."""
    history = SimpleNamespace(epoch=[], train_loss=[], eval_epoch=[], train_error=[], validation_error=[],
                              test_error=[], seconds=[])
    for epoch in range(1, epochs + 1):
        history.epoch.append(epoch)
        history.train_loss.append(0.2 / epoch)
        history.seconds.append(1.0)
        if epoch % 2 == 0:
            history.eval_epoch.append(epoch)
            history.train_error.append(0.1 / epoch)
            history.validation_error.append(0.11 / epoch + 0.01)
            history.test_error.append(0.12 / epoch + 0.01)
    return history


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs per row (default 3)")
    rounds = parser.parse_args().rounds

    live = LivePlot(display_function=lambda *args, **kwargs: None)
    history = history_of(40)
    live(history)  # warm up fonts and caches
    rows = [
        ("build the 784-300-10 object network", lambda: oo_network.Network([784, 300, 10])),
        ("gradient check, 12 weights, object 784-30-10", gradient_check_of(oo_network.Network)),
        ("gradient check, 12 weights, vectorized 784-30-10", gradient_check_of(vectorized.Network)),
        ("redraw the live plot (40 epochs)", lambda: live(history)),
    ]
    print(f"{'operation':<52} {'median s':>9} {'min s':>8} {'max s':>8}")
    for name, run in rows:
        median, low, high = seconds(run, rounds)
        print(f"{name:<52} {median:9.3f} {low:8.3f} {high:8.3f}")


if __name__ == "__main__":
    main()
