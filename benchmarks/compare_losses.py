"""Benchmark: the text's 784-300-10 network with the squared error and with softmax + cross-entropy.

Both networks have sigmoid hidden units and the same start (seed 0); they
differ in the output layer and the loss:

- the text's: sigmoid outputs, E = 1/2 sum (t - y)^2 (eq. 4.9), targets 0.9 / 0.1;
- softmax outputs, E = -sum t ln y, one-hot targets 1 / 0.

Each trains with ``bpcourse.core.training.fit`` on the first 50,000 training
images for up to 20 epochs (mini-batches, mean gradient), with the
validation error measured on the last 10,000 training images after every
epoch. A learning rate may follow a schedule, e.g. ``0.5:8,0.1:6,0.02:6``
(rate 0.5 for 8 epochs, then 0.1 for 6, then 0.02 for 6) or ``0.5*0.8``
(0.5, then times 0.8 after every epoch): one ``fit`` per stage, continuing
the same history and shuffling generator. Against over-fitting, each loss
may have an L2 weight decay (``fit(..., weight_decay=...)``), and the
training images may be shifted by up to ``--max-shift`` pixels, new random
shifts every epoch (``fit(..., callbacks=[Augment(shift_images)])``).

The epoch of each loss is the one with the lowest validation error
(``bpcourse.core.early_stopping.BestWeights``). The model measured on the
test set is that epoch's weights, or with ``--retrain-all`` a new network
trained with the same settings for that many epochs on all 60,000 training
images (the 50,000 and the 10,000 validation images); either way its test
error is measured ONCE at the end. The test error of the last epoch's
weights of the 50,000-image run is printed as well, for the record (it
chooses nothing). ``--validation-only`` never touches the test set: use it
to choose the settings.

Run from the repository root (MNIST found through BPCOURSE_DATA or the cache)::

    python benchmarks/compare_losses.py --threads 1    # both losses, 20 epochs and the retraining: ~6 minutes on 2 cores
    python benchmarks/compare_losses.py --quick        # 2 epochs on 5,000 images: a smoke test

See benchmarks/README.md for the figures measured on the course's machine.
"""

import argparse
import functools
import sys
import time

from machine import print_machine, set_blas_threads

MAX_EPOCHS = 1000
DEFAULT_CE_SCHEDULE = "0.5:10,0.1:5,0.02:5"
LOSS_NAMES = {"squared_error": "sigmoid + squared error (0.9/0.1)",
              "softmax_cross_entropy": "softmax + cross-entropy (1/0)"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per loss (default 20)")
    parser.add_argument("--batch-size", type=int, default=10, help="mini-batch size (default 10)")
    parser.add_argument("--rates-squared-error", type=parse_schedule, default=parse_schedule("1.0"),
                        help="learning rate(s) with the squared error: a number, or a schedule RATE:EPOCHS,... "
                             "(default 1.0 for every epoch; mean gradient per batch)")
    parser.add_argument("--rates-cross-entropy", type=parse_schedule, default=parse_schedule(DEFAULT_CE_SCHEDULE),
                        help=f"learning rate(s) with softmax + cross-entropy (default {DEFAULT_CE_SCHEDULE})")
    parser.add_argument("--weight-decay-squared-error", type=float, default=0.0,
                        help="L2 weight decay lambda with the squared error (penalty lambda/2 sum W^2; default 0)")
    parser.add_argument("--weight-decay-cross-entropy", type=float, default=3e-5,
                        help="L2 weight decay lambda with softmax + cross-entropy (default 3e-5)")
    parser.add_argument("--max-shift", type=int, default=1,
                        help="augmentation: shift every training image by up to this many pixels, new random "
                             "shifts every epoch (bpcourse.core.augmentation.shift_images); default 1, 0: none")
    parser.add_argument("--smoothing", type=float, default=0.0,
                        help="label smoothing of the cross-entropy's targets: 1 - s + s/10 for the label, s/10 "
                             "elsewhere (still summing to 1); default 0, one-hot 1 / 0")
    parser.add_argument("--init", choices=["text", "glorot"], default="text",
                        help="starting weights of both networks: the text's uniform +-0.1 (default) or Glorot")
    parser.add_argument("--only", choices=sorted(LOSS_NAMES), default=None,
                        help="train with one loss only (e.g. to run the two losses in two processes)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and of the shuffling")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (set before NumPy is imported); default: leave the environment alone")
    parser.add_argument("--retrain-all", action=argparse.BooleanOptionalAction, default=True,
                        help="after choosing the epoch on the validation split, train a new network with the same "
                             "settings for that many epochs on all 60,000 training images; that network is the one "
                             "measured on the test set (default; --no-retrain-all measures the chosen epoch's "
                             "weights of the 50,000-image run instead)")
    parser.add_argument("--validation-only", action="store_true",
                        help="for choosing settings: train and print the validation errors, never touch the test set")
    parser.add_argument("--quick", action="store_true", help="2 epochs on 5,000 training images: a smoke test")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be positive ints")
    if args.weight_decay_squared_error < 0 or args.weight_decay_cross_entropy < 0 or args.max_shift < 0:
        parser.error("--weight-decay-* and --max-shift must be >= 0")
    if not 0 <= args.smoothing < 1:
        parser.error("--smoothing must be in [0, 1)")
    if args.quick:
        args.epochs = min(args.epochs, 2)
    return args


def parse_schedule(text):
    """"0.5:8,0.1:6" -> [(0.5, 8), (0.1, 6)]; a lone number "1.0" -> [(1.0, None)] (every epoch).

    "0.5*0.8" is a geometric schedule: rate 0.5 in epoch 1, times 0.8 after every epoch (0.5, 0.4, 0.32, ...).
    """
    first, star, factor = text.partition("*")
    if star:
        try:
            first, factor = float(first), float(factor)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected RATE*FACTOR, e.g. 0.5*0.8, got {text!r}") from None
        if not (first > 0 and 0 < factor <= 1):
            raise argparse.ArgumentTypeError(f"expected a rate > 0 and a factor in (0, 1], got {text!r}")
        return [(first * factor ** k, 1) for k in range(MAX_EPOCHS)]
    schedule = []
    for part in text.split(","):
        rate, _, epochs = part.partition(":")
        try:
            rate, epochs = float(rate), (int(epochs) if epochs else None)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected RATE or RATE:EPOCHS,..., got {text!r}") from None
        if not rate > 0 or (epochs is not None and epochs < 1):
            raise argparse.ArgumentTypeError(f"expected rates > 0 and epochs >= 1, got {text!r}")
        schedule.append((rate, epochs))
    if any(epochs is None for _, epochs in schedule) and len(schedule) > 1:
        raise argparse.ArgumentTypeError(f"give every part of a schedule its epochs, got {text!r}")
    return schedule


def stages(schedule, total):
    """The schedule cut to ``total`` epochs as [(rate, last epoch of the stage), ...]."""
    result, done = [], 0
    for rate, epochs in schedule:
        done = total if epochs is None else min(total, done + epochs)
        result.append((rate, done))
        if done == total:
            break
    if done < total:  # a schedule shorter than --epochs keeps its last rate
        result[-1] = (result[-1][0], total)
    return result


def main(argv=None):
    args = parse_args(argv)
    set_blas_threads(args.threads)  # before NumPy loads its BLAS

    import numpy as np

    from bpcourse.core.augmentation import Augment, shift_images
    from bpcourse.core.data import load_mnist, one_hot
    from bpcourse.core.early_stopping import BestWeights
    from bpcourse.core.initialization import initial_weights
    from bpcourse.core.training import error_rate, fit
    from bpcourse.core.vectorized import Network

    dtype = np.dtype(args.dtype)
    print_machine(np)
    X, y = load_mnist("train", dtype=dtype)
    n_train = 5_000 if args.quick else 50_000
    X_train, y_train = X[:n_train], y[:n_train]
    X_val, y_val = X[50_000:], y[50_000:]  # the last 10,000 training images
    X_test, y_test = load_mnist("test", dtype=dtype)
    def targets(loss, labels):
        if loss == "squared_error":
            return one_hot(labels).astype(dtype)  # the text's 0.9 / 0.1
        # a probability vector: one-hot 1 / 0, or smoothed towards 1/10 (still summing to 1)
        return np.eye(10, dtype=dtype)[labels] * (1 - args.smoothing) + dtype.type(args.smoothing / 10)

    def rates_of(loss):
        return args.rates_squared_error if loss == "squared_error" else args.rates_cross_entropy

    rates = {loss: stages(rates_of(loss), args.epochs) for loss in LOSS_NAMES}
    weight_decay = {"squared_error": args.weight_decay_squared_error,
                    "softmax_cross_entropy": args.weight_decay_cross_entropy}
    augment = None if args.max_shift == 0 else Augment(functools.partial(shift_images, max_shift=args.max_shift))

    def train(loss, X_fit, y_fit, schedule, validation=None, callback=None):
        """A new network (the same start for every loss) trained stage by stage of the schedule."""
        network = Network((784, 300, 10), seed=args.seed, dtype=dtype, loss=loss)
        if args.init == "glorot":
            network.set_weights(initial_weights(network.layer_sizes, "glorot", rng=args.seed))
        history, shuffle = None, np.random.default_rng(args.seed)
        T_fit = targets(loss, y_fit)
        for rate, last_epoch in schedule:  # one fit per stage of the schedule; the history continues
            history = fit(network, X_fit, T_fit, y_fit, validation=validation, epochs=last_epoch, rate=rate,
                          batch_size=args.batch_size, rng=shuffle, history=history, progress=False,
                          weight_decay=weight_decay[loss], callbacks=[piece for piece in (augment, callback) if piece is not None])
        return network, history

    print(f"784-300-10, sigmoid hidden units, {n_train} training images, validation: the last 10,000 training "
          f"images, batch {args.batch_size}, {args.dtype}, seed {args.seed}, up to {args.epochs} epochs, start "
          f"{args.init}, cross-entropy label smoothing {args.smoothing:g}, "
          f"training images shifted by up to {args.max_shift} pixels\n")

    results = {}
    names = dict(LOSS_NAMES)
    if args.smoothing:
        names["softmax_cross_entropy"] = (f"softmax + cross-entropy ({1 - args.smoothing + args.smoothing / 10:g}/"
                                          f"{args.smoothing / 10:g})")
    if args.only is not None:
        names = {args.only: names[args.only]}
    for loss, name in names.items():
        best = BestWeights()
        cpu = time.process_time()
        network, history = train(loss, X_train, y_train, rates[loss], validation=(X_val, y_val), callback=best)
        cpu = time.process_time() - cpu
        print(f"{name}, rates {describe(rates[loss])}, weight decay {weight_decay[loss]:g}:")
        for epoch, train_error, val_error, seconds in zip(history.eval_epoch, history.train_error,
                                                          history.validation_error, history.seconds):
            print(f"  epoch {epoch:2d}: training error {100 * train_error:5.2f}%, validation error "
                  f"{100 * val_error:5.2f}%  ({seconds:.1f} s)")
        print(f"  lowest validation error {100 * best.error:.2f}% after epoch {best.epoch}")
        if args.validation_only:
            print()
            continue
        final_test = error_rate(network, X_test, y_test)  # the last epoch's weights, for the record
        if args.retrain_all:
            # The settings and the epoch count chosen above, on all 60,000 training images; no more choices.
            cpu_all = time.process_time()
            network, history_all = train(loss, np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val]),
                                         stages(rates_of(loss), best.epoch))
            cpu += time.process_time() - cpu_all
            print(f"  retrained on all {n_train + len(X_val):,} training images for the chosen {best.epoch} epochs "
                  f"({sum(history_all.seconds):.0f} s): training error {100 * history_all.train_error[-1]:.2f}%")
        else:
            best.restore(network)
        chosen_test = error_rate(network, X_test, y_test)  # the model chosen on validation data
        results[name] = dict(rate=describe(rates[loss]), decay=weight_decay[loss], epoch=best.epoch, val=best.error,
                             test=chosen_test, final_val=history.validation_error[-1], final_test=final_test,
                             seconds=sum(history.seconds) + (sum(history_all.seconds) if args.retrain_all else 0),
                             cpu=cpu)
        print()

    if args.validation_only:
        return 0
    chosen_model = (f"retrained on all {n_train + len(X_val):,} training images for the chosen number of epochs"
                    if args.retrain_all
                    else "the weights of the chosen epoch")
    print(f"seed {args.seed}; images shifted by up to {args.max_shift} pixels; the model measured on the test set: "
          f"{chosen_model}")
    print("| loss | learning rate | weight decay | chosen epoch (lowest validation error) | its validation error "
          "| **test error of the chosen model (measured once)** | validation error after the last epoch "
          f"| test error after the last epoch ({n_train:,} images; for the record) | training s (wall) | CPU s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['rate']} | {r['decay']:g} | {r['epoch']} | {100 * r['val']:.2f}% | "
              f"**{100 * r['test']:.2f}%** | {100 * r['final_val']:.2f}% | {100 * r['final_test']:.2f}% | "
              f"{r['seconds']:.0f} | {r['cpu']:.0f} |")
    better = min(results, key=lambda name: results[name]["val"])
    print(f"\nbetter on the validation set: {better}; its test error {100 * results[better]['test']:.2f}% "
          f"(target: at most 1.60%) -> {'met' if results[better]['test'] <= 0.016 else 'NOT met'}")
    return 0


def describe(stage_list):
    """[(0.5, 8), (0.1, 14)] -> "0.5 (epochs 1-8), 0.1 (epochs 9-14)"; one stage -> "0.5"."""
    if len(stage_list) == 1:
        return f"{stage_list[0][0]:g}"
    if len(stage_list) > 2 and all(last == k for k, (_, last) in enumerate(stage_list, 1)):  # geometric
        factor = stage_list[1][0] / stage_list[0][0]
        return f"{stage_list[0][0]:g} times {factor:.3g} per epoch (down to {stage_list[-1][0]:.3g})"
    parts, first = [], 1
    for rate, last in stage_list:
        parts.append(f"{rate:g} (epochs {first}-{last})")
        first = last + 1
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
