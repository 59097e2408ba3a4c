"""Start-up of the worker processes that dermkit's parallel steps (synth, tone, preprocess) run in.

Example:
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker)  # doctest: +SKIP
"""

from __future__ import annotations


def ignore_interrupts() -> None:
    """Ignore Ctrl-C in a worker process (safe in a forked one: it touches no library).

    On Ctrl-C the terminal interrupts every process of the group: the main process stops the pool
    and lets each running job finish the file it is writing, instead of every worker printing its
    own KeyboardInterrupt traceback and leaving a temporary file behind.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def init_worker() -> None:
    """:func:`ignore_interrupts`, and OpenCV on one thread (the workers are the parallelism). For
    *spawned* workers only: in a forked child, OpenCV's thread pool inherited from the parent can
    deadlock."""
    import cv2

    ignore_interrupts()
    cv2.setNumThreads(1)
