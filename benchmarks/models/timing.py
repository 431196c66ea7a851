"""The timing loop the ad-hoc comparison scripts share (back_to_back.py, op_sweep.py): median
milliseconds of `runs` calls after `warmup` unmeasured ones. run.py keeps its own loop, which
also records p90."""

from __future__ import annotations

import time

import numpy as np


def block_ms(sess, feed, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3
