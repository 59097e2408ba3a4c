"""Start-up of the worker processes that dermkit's parallel steps (synth, tone, preprocess) run in.

Example:
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> pool = ProcessPoolExecutor(2, initializer=init_worker)  # doctest: +SKIP
"""

from __future__ import annotations


def init_worker() -> None:
    """Ignore Ctrl-C in a worker, and run OpenCV on one thread there (the workers are the parallelism).

    On Ctrl-C the terminal interrupts every process of the group: the main process stops the pool
    and lets each running job finish the file it is writing, instead of every worker printing its
    own KeyboardInterrupt traceback and leaving a temporary file behind.
    """
    import signal

    import cv2

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(1)
