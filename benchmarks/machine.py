"""What every benchmark script prints first and sets before NumPy loads: the machine and its BLAS threads.

Imported by the scripts beside it (``python benchmarks/NAME.py`` puts this folder on the path).
"""

import os
import platform
from datetime import datetime, timezone

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def set_blas_threads(threads):
    """Set the BLAS thread count for this process; call it before NumPy is imported (None: leave it)."""
    if threads is not None:
        for variable in THREAD_VARIABLES:
            os.environ[variable] = str(threads)


def machine_line(np):
    """Date, machine, NumPy and BLAS, thread settings and load, so that the figures can be compared."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as file:
            cpu = next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # the BLAS line is informative only
        pass
    threads = {v: os.environ[v] for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE")
               if v in os.environ}
    return (f"date {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}); "
            f"Python {platform.python_version()}, NumPy {np.__version__}, BLAS {blas}; "
            f"thread settings {threads or 'none'}; load average {os.getloadavg()[0]:.1f}")


def print_machine(np):
    """Print :func:`machine_line` (the first line of every benchmark's output)."""
    print(machine_line(np))
