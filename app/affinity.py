"""One CPU for a server process's Python threads (BACKPROP_VIZ_PIN_CPU).

Why: the event loop and the training thread hand the GIL to each other hundreds of times a second (every socket
call of the loop lets it go and takes it back). When the two threads sit on different CPUs, every hand-over wakes
the other CPU — on a virtual machine a costly inter-processor interrupt and a cold cache — and the CPU that lets
go idles meanwhile. On one CPU a hand-over is an ordinary context switch. A process runs Python on one core at a
time anyway (the GIL), so keeping its threads on one CPU costs it nothing, and leaves the other CPUs to the other
worker processes (`--workers N`: worker k takes the k-th CPU), the kernel's network work and the clients. Measured
on the 2-core machine (bench/classroom_bench.py, scenario A): a stepping student's round trip with 30 sessions
playing went from about 2 ms to 1 ms, and the class's passes per second from 0.72–0.81 to 0.79–0.85 of one
session's alone (runs alternating with and without it).

It is not done with more than one training thread (BACKPROP_VIZ_TRAINING_THREADS > 1 pays off only when NumPy
releases the GIL, and then the threads should spread), nor where the platform has no CPU affinity (it is Linux's
`sched_setaffinity`). NumPy's own BLAS threads, started at import, keep every CPU.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config import Settings

log = logging.getLogger(__name__)


def pin_to_one_cpu(index: int) -> int | None:
    """Keep the calling thread, and every thread it starts from now on, on the `index`-th CPU this process may use
    (counting round: worker 5 of a 4-CPU affinity takes the second). The CPU, or None where that cannot be done
    (then nothing changed)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        cpu = cpus[index % len(cpus)]
        os.sched_setaffinity(0, {cpu})  # 0: the calling thread; the threads it starts inherit the mask
    except (AttributeError, OSError, IndexError) as exc:  # no affinity on this platform, or not allowed here
        log.info("the server's threads are left to the kernel's placement: %s", exc)
        return None
    log.info("the event loop and the training threads run on CPU %d", cpu)
    return cpu


def wanted(pin_cpu: bool, training_threads: int) -> bool:
    """Whether a server process should keep its threads on one CPU (see the module's docstring)."""
    return pin_cpu and training_threads == 1


def pin_server_process(settings: Settings, index: int) -> int | None:
    """At a server process's start, before the app starts any thread (they inherit it): its threads on the
    `index`-th CPU if the settings want that (one process: 0; worker k: k). The CPU, or None."""
    if not wanted(settings.pin_cpu, settings.training_threads):
        return None
    return pin_to_one_cpu(index)
