"""Concurrent run() calls on one session from several Python threads."""

from __future__ import annotations

import threading

import numpy as np

import models
import onnxrt


def test_concurrent_runs_on_one_session_are_correct(ort_run):
    model = models.gather_reshape()
    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = onnxrt.InferenceSession(model, opts)
    # Different batch sizes per thread, so per-run shape binding is exercised concurrently too.
    cases = [models.random_feeds(model, batch=1 + i % 4, seed=i) for i in range(8)]
    expected = [ort_run(model, feeds) for feeds in cases]
    errors: list[str] = []
    start = threading.Barrier(len(cases))

    def worker(i: int) -> None:
        try:
            start.wait()
            for _ in range(25):
                got = sess.run(None, cases[i])
                for g, e in zip(got, expected[i]):
                    if g.shape != e.shape or not np.allclose(g, e, atol=1e-5, rtol=1e-5):
                        errors.append(f"thread {i}: wrong result, shape {g.shape} vs {e.shape}")
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

