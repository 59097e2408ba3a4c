"""Machine facts recorded beside every training benchmark's figures (CPU, threads, load)."""

from __future__ import annotations

import os
import platform

BF16_FLAGS = {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}


def cpuinfo(field: str) -> str | None:
    """The value of the first ``field`` line of /proc/cpuinfo (``None`` where it is missing)."""
    try:
        with open("/proc/cpuinfo") as fh:
            return next((line.split(":", 1)[1].strip() for line in fh if line.startswith(field)), None)
    except OSError:
        return None


def bf16_flags() -> list[str]:
    """This CPU's flags that bf16 training speed depends on (AVX-512, AVX-512 bf16, AMX); empty if unknown."""
    return sorted(set((cpuinfo("flags") or "").split()) & BF16_FLAGS)


def machine_info() -> dict:
    """CPU model, logical cores, torch threads, the 1/5/15-minute load averages now, torch version."""
    import torch

    return {
        "cpu": cpuinfo("model name") or platform.processor() or platform.machine(),
        "logical_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
