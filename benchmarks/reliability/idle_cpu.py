"""Idle CPU after run(): does any onnxrt thread keep burning CPU once run() has returned?

    python benchmarks/reliability/idle_cpu.py [--threads 2] [--model mobilenetv2_b1]

Runs the model a few times with intra_op_num_threads threads, then sleeps for a window and
reports the process CPU time consumed during that window (all threads), once right after a run
and once after a second idle window. onnxrt's workers spin for 0.3 ms after their last job and
then sleep on a futex, so the first window should cost about that and the second nothing. The
same is measured for onnxruntime (its workers spin after a run by default) for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))


def idle_cpu_ms(session, feed, window_s: float) -> tuple[float, float]:
    for _ in range(5):
        session.run(None, feed)
    c0 = time.process_time()
    time.sleep(window_s)
    first = (time.process_time() - c0) * 1e3
    c1 = time.process_time()
    time.sleep(window_s)
    second = (time.process_time() - c1) * 1e3
    return first, second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="mobilenetv2_b1")
    parser.add_argument("--window", type=float, default=0.2, help="idle window in seconds")
    args = parser.parse_args()

    import onnxruntime as ort
    import zoo

    import onnxrt

    path, inputs = zoo.export(zoo.BY_NAME[args.model])
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = args.threads
    ours = onnxrt.InferenceSession(str(path), so)
    feed = {i.name: x for i, x in zip(ours.get_inputs(), inputs)}
    o1, o2 = idle_cpu_ms(ours, feed, args.window)
    del ours
    oso = ort.SessionOptions()
    oso.intra_op_num_threads = args.threads
    oso.inter_op_num_threads = 1
    theirs = ort.InferenceSession(str(path), oso, providers=["CPUExecutionProvider"])
    t1, t2 = idle_cpu_ms(theirs, feed, args.window)
    print(f"{args.model}, {args.threads} threads, process CPU during a {args.window * 1e3:.0f} ms idle window:")
    print(f"  onnxrt:      {o1:6.2f} ms right after the runs, {o2:6.2f} ms in the next window")
    print(f"  onnxruntime: {t1:6.2f} ms right after the runs, {t2:6.2f} ms in the next window")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
