"""Jupyter kernels over Unix sockets: no port for another local user to reach, and no "Kernel is running over
TCP without encryption" warning. Use ``NotebookClient(..., kernel_manager_class=IPCKernelManager)``.
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
