"""Concurrent run() calls on one session from several Python threads."""

from __future__ import annotations

import threading

import numpy as np

import models
import onnxrt


RUNS_PER_THREAD = 1000


def test_concurrent_runs_on_one_session_are_correct(ort_run):
    model = models.gather_reshape()
    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = onnxrt.InferenceSession(model, opts)
    # 8 threads x 1,000 runs, each thread cycling through 4 different inputs (batch sizes 1-4), so
    # per-run shape binding is exercised concurrently too. Expected: the same session's results
    # computed one run at a time before the threads start (bitwise), themselves checked against
    # onnxruntime.
    cases = [[models.random_feeds(model, batch=1 + (i + j) % 4, seed=10 * i + j) for j in range(4)]
             for i in range(8)]
    expected = [[sess.run(None, feeds) for feeds in per_thread] for per_thread in cases]
    for per_thread, outs in zip(cases, expected):
        for feeds, got in zip(per_thread, outs):
            for g, e in zip(got, ort_run(model, feeds)):
                np.testing.assert_allclose(g, e, atol=1e-5, rtol=1e-5)
    errors: list[str] = []
    start = threading.Barrier(len(cases))

    def worker(i: int) -> None:
        try:
            start.wait()
            for r in range(RUNS_PER_THREAD):
                j = r % len(cases[i])
                got = sess.run(None, cases[i][j])
                for g, e in zip(got, expected[i][j]):
                    if g.shape != e.shape or not np.array_equal(g, e):
                        errors.append(f"thread {i} run {r}: differs from the single-threaded result")
                        return
        except Exception as exc:  # reported below; a thread's exception would be lost otherwise
            errors.append(f"thread {i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a run() call hung"
    assert errors == []
