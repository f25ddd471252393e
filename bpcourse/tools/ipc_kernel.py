"""Jupyter kernels that talk over Unix sockets instead of TCP.

A kernel started over TCP prints "Kernel is running over TCP without
encryption" once per kernel: noise in ``make course`` and in tests, and a real
point for a machine with other users (any local process can connect to the
ports). :class:`IPCKernelManager` uses ZeroMQ's ``ipc`` transport with its
sockets in a private folder (mode 0700, removed when the kernel ends), so there
is no port to reach and nothing to warn about. Use it as
``NotebookClient(..., kernel_manager_class=IPCKernelManager)``.
"""

import shutil
import tempfile
from pathlib import Path

from jupyter_client import KernelManager


class IPCKernelManager(KernelManager):
    """A KernelManager with ``transport="ipc"`` and its sockets in a private temporary folder."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="bpcourse-kernel-")  # mode 0700
        self.transport = "ipc"
        self.ip = str(Path(self._socket_dir) / "kernel")

    def cleanup_resources(self, restart=False):
        super().cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
