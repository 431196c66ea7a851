"""The GPT-2 decode step of the zoo timed in two caller loops, onnxrt and onnxruntime in one process:
one that drops each step's outputs (the usual loop: the next step only needs the newest cache) and
one that keeps every step's outputs, so that each step's 2 x 4.7 MB present tensors land in fresh
memory. The figures of the twelfth session's "noticed, not changed" note in
benchmarks/models/performance_notes.md.

    python benchmarks/models/decode_loop.py [--threads 2] [--steps 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).parent))

import zoo  # noqa: E402

import onnxrt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    path, _ = zoo.export(zoo.BY_NAME["gpt2_decode_kv128"])
    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = args.threads
    ours = onnxrt.InferenceSession(str(path), opts)
    oo = ort.SessionOptions()
    oo.intra_op_num_threads = args.threads
    oo.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    theirs = ort.InferenceSession(str(path), oo, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {i.name: rng.random([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
            for i in ours.get_inputs() if "float" in i.type}
    ids = next(i.name for i in ours.get_inputs() if "int" in i.type)
    for name, sess in (("onnxrt", ours), ("onnxruntime", theirs)):
        for keep in (False, True):
            held, times = [], []
            for step in range(args.steps):
                feed[ids] = np.array([[step % 100]], np.int64)
                t0 = time.perf_counter()
                out = sess.run(None, feed)
                times.append(time.perf_counter() - t0)
                if keep:
                    held.append(out)
            print(f"{name:12s} {'keeps every output' if keep else 'drops outputs':18s} "
                  f"median {np.median(times) * 1e3:.2f} ms per step")


if __name__ == "__main__":
    main()
