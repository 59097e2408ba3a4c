"""Machine facts recorded beside every training benchmark's figures (CPU, threads, load)."""

from __future__ import annotations

import os
import platform


def machine_info() -> dict:
    """CPU model, logical cores, torch threads, the 1/5/15-minute load averages now, torch version."""
    import torch

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    return {
        "cpu": model,
        "logical_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
