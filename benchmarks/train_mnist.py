"""Benchmark: the text's 784-300-10 sigmoid network on full MNIST, vectorized and object-oriented.

Three measurements, printed as tables:

1. Accuracy run: ``bpcourse.core.training.fit`` on the 60,000 training images
   (squared error, 0.9/0.1 targets, mean-gradient mini-batches), the test
   error on the 10,000 test images after every epoch, and the seconds each
   epoch took (training only; evaluation not included).
2. Speed run: epochs with larger mini-batches and no evaluation, seconds per epoch.
3. Per-sample cost: one SGD step on one sample (forward, backward, update) in
   the object network (``bpcourse.core.oo_network``) and in the vectorized network
   with batch size 1, and their ratio (the text: "hundreds of times faster").

Run from the repository root (MNIST found through BPCOURSE_DATA or the cache)::

    python benchmarks/train_mnist.py                  # all three, ~3-4 minutes on 2 cores
    python benchmarks/train_mnist.py --quick          # 2 epochs, fewer samples: a smoke test
    python benchmarks/train_mnist.py --threads 1      # single-threaded BLAS (see README)

See benchmarks/README.md for the figures measured on the course's machine.
"""

import argparse
import sys
import time

from machine import print_machine, set_blas_threads


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="epochs of the accuracy run (default 20)")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="learning rate eta of the accuracy run (default 1.0; mean gradient per batch)")
    parser.add_argument("--batch-size", type=int, default=10, help="mini-batch of the accuracy run (default 10)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="dtype of the accuracy and speed runs (default float32)")
    parser.add_argument("--speed-batch-size", type=int, default=32,
                        help="mini-batch of the speed run (default 32, the smallest the 2 s target allows)")
    parser.add_argument("--speed-rate", type=float, default=1.0, help="learning rate of the speed run (default 1.0)")
    parser.add_argument("--speed-epochs", type=int, default=4, help="epochs of the speed run (default 4)")
    parser.add_argument("--oo-samples", type=int, default=3,
                        help="samples timed on the object network (default 3; each takes about a second)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS/MKL_NUM_THREADS before "
                             "NumPy is imported); default: leave the environment as it is")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and of the shuffling")
    parser.add_argument("--quick", action="store_true",
                        help="a quick smoke run: 2 epochs, 2 speed epochs, 1 object-network sample")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.speed_epochs, args.oo_samples = min(args.epochs, 2), 2, 1
    for name in ("epochs", "batch_size", "speed_batch_size", "speed_epochs", "oo_samples"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive int")
    if not (args.rate > 0 and args.speed_rate > 0):
        parser.error("--rate and --speed-rate must be > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    set_blas_threads(args.threads)  # before NumPy loads its BLAS

    import numpy as np

    from bpcourse.core import oo_network
    from bpcourse.core.data import load_mnist, one_hot
    from bpcourse.core.training import fit
    from bpcourse.core.vectorized import Network

    dtype = np.dtype(args.dtype)
    print_machine(np)

    began = time.perf_counter()
    X, y = load_mnist("train", dtype=dtype)
    X_test, y_test = load_mnist("test", dtype=dtype)
    T = one_hot(y, dtype=dtype)
    print(f"MNIST loaded in {time.perf_counter() - began:.1f} s: {X.shape[0]} training and "
          f"{X_test.shape[0]} test images, {dtype.name}\n")

    # 1. accuracy run
    print(f"1. Accuracy run: 784-300-10 sigmoid, squared error, 0.9/0.1 targets, {dtype.name}, "
          f"batch size {args.batch_size}, rate {args.rate:g} (mean gradient per batch), {args.epochs} epochs")
    print(f"{'epoch':>5} {'seconds':>8} {'CPU s*':>7} {'loss':>8} {'train err':>10} {'test err':>9}")
    cpu = CpuClock()

    def report(history, network):
        e = len(history.epoch) - 1
        print(f"{history.epoch[e]:>5} {history.seconds[e]:>8.2f} {cpu.lap():>7.2f} {history.train_loss[e]:>8.4f} "
              f"{100 * history.train_error[-1]:>9.2f}% {100 * history.test_error[-1]:>8.2f}%", flush=True)

    network = Network([784, 300, 10], dtype=dtype, seed=args.seed)
    history = fit(network, X, T, y, test=(X_test, y_test), epochs=args.epochs, rate=args.rate,
                  batch_size=args.batch_size, evaluate_every=1, progress=False,
                  rng=np.random.default_rng(args.seed), callbacks=[report])
    best = min(history.test_error)
    best_epoch = history.eval_epoch[history.test_error.index(best)]
    under_3 = next((e for e, err in zip(history.eval_epoch, history.test_error) if err < 0.03), None)
    seconds = np.array(history.seconds)
    print("   seconds: wall-clock seconds of the epoch's training (History.seconds); CPU s*: CPU seconds of "
          "this process, all threads, for the epoch's training AND its evaluation")
    print(f"   final test error {100 * history.test_error[-1]:.2f}%, best {100 * best:.2f}% (epoch {best_epoch}); "
          f"mean {seconds.mean():.2f} s per epoch (median {np.median(seconds):.2f} s)")
    if under_3 is not None:
        print(f"   test error below 3% first after epoch {under_3}, "
              f"{seconds[:under_3].sum():.1f} s of training")
    print()

    # 2. speed run
    print(f"2. Speed run: {dtype.name}, batch size {args.speed_batch_size}, rate {args.speed_rate:g}, "
          f"{args.speed_epochs} epochs, evaluated after the last one only")
    speed_network = Network([784, 300, 10], dtype=dtype, seed=args.seed)
    cpu_laps = []
    cpu = CpuClock()
    speed = fit(speed_network, X, T, y, test=(X_test, y_test), epochs=args.speed_epochs, rate=args.speed_rate,
                batch_size=args.speed_batch_size, evaluate_every=args.speed_epochs, progress=False,
                rng=np.random.default_rng(args.seed), callbacks=[lambda h, n: cpu_laps.append(cpu.lap())])
    for epoch, s, c in zip(speed.epoch, speed.seconds, cpu_laps):
        note = " (CPU time includes the evaluation)" if epoch == speed.epoch[-1] else ""
        print(f"   epoch {epoch}: {s:.2f} s wall-clock, {c:.2f} CPU s (all threads){note}")
    print(f"   best {min(speed.seconds):.2f} s, median {np.median(speed.seconds):.2f} s per epoch; "
          f"test error after epoch {speed.epoch[-1]}: {100 * speed.test_error[-1]:.2f}%")
    print()

    # 3. per-sample cost, object network vs vectorized
    n_oo = args.oo_samples
    print("3. One SGD step on one sample (forward, backward, update), 784-300-10")
    oo = oo_network.Network([784, 300, 10], seed=args.seed)
    X64, T64 = np.asarray(X[:n_oo], dtype=np.float64), np.asarray(T[:n_oo], dtype=np.float64)
    wall, cpu = time.perf_counter(), time.process_time()
    oo.train(T64, X64, 0.1, 1)
    oo_seconds = (time.perf_counter() - wall) / n_oo
    rows = [("object network (Python floats)", oo_seconds, (time.process_time() - cpu) / n_oo, n_oo)]
    n_vec = 300 if args.quick else 3000
    for kind in ("float64", "float32"):
        vec = Network([784, 300, 10], dtype=np.dtype(kind), seed=args.seed)
        Xk, Tk = np.asarray(X[:n_vec], dtype=kind), np.asarray(T[:n_vec], dtype=kind)
        vec.train_batch(Xk[:1], Tk[:1], 0.1)  # a first step, not timed (first calls are slower)
        wall, cpu = time.perf_counter(), time.process_time()
        vec.train(Tk, Xk, 0.1, 1, batch_size=1)
        rows.append((f"vectorized, batch size 1, {kind}", (time.perf_counter() - wall) / n_vec,
                     (time.process_time() - cpu) / n_vec, n_vec))
    rows.append((f"vectorized, batch size {args.speed_batch_size}, {dtype.name} (speed run)",
                 float(np.median(speed.seconds)) / len(X), float("nan"), len(X)))
    print(f"   {'implementation':<46} {'s per sample':>13} {'CPU s':>10} {'samples timed':>14} {'speed-up':>9}")
    for name, s, c, count in rows:
        print(f"   {name:<46} {s:>13.3g} {c:>10.3g} {count:>14} {oo_seconds / s:>8.0f}x")
    print(f"   a full epoch of 60,000 samples would take about {60000 * oo_seconds / 3600:.1f} hours "
          f"in the object network")
    print()

    print("Summary")
    print(f"   accuracy run: batch {args.batch_size}, rate {args.rate:g}, {dtype.name}: best test error "
          f"{100 * best:.2f}% within {args.epochs} epochs ({'meets' if best <= 0.02 else 'MISSES'} the 2.0% target), "
          f"{np.median(seconds):.2f} s per epoch (median)")
    print(f"   speed run: batch {args.speed_batch_size}, {dtype.name}: {np.median(speed.seconds):.2f} s per epoch "
          f"(median; {'under' if np.median(speed.seconds) < 2 else 'NOT under'} the 2 s target)")
    print(f"   per sample: object network {oo_seconds:.3g} s, vectorized float64 {rows[1][1]:.3g} s "
          f"({oo_seconds / rows[1][1]:.0f} times faster)")
    return 0


class CpuClock:
    """CPU seconds of this process (all threads) since the last lap."""

    def __init__(self):
        self.last = time.process_time()

    def lap(self):
        now = time.process_time()
        lap, self.last = now - self.last, now
        return lap


if __name__ == "__main__":
    sys.exit(main())
