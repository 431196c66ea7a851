"""The GPT-2 decode step of the zoo timed in two caller loops, onnxrt and onnxruntime: one that
drops each step's outputs (the usual loop: the next step only needs the newest cache) and one that
keeps every step's outputs, so that each step's 2 x 4.7 MB present tensors land in fresh memory.
Each (runtime, loop) pair runs in a process of its own: in one process, memory that one loop's
kept outputs give back when it ends serves the next loop's outputs without page faults, which
made whichever runtime ran second look faster (the "cause unknown" of the twelfth session's
notes). Prints the median step and the page faults per step (getrusage minflt).

    python benchmarks/models/decode_loop.py [--threads 2] [--steps 30] [--rounds 2]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def one_loop(runtime: str, keep: bool, threads: int, steps: int) -> None:
    import zoo

    path, _ = zoo.export(zoo.BY_NAME["gpt2_decode_kv128"])
    if runtime == "onnxrt":
        import onnxrt

        opts = onnxrt.SessionOptions()
        opts.intra_op_num_threads = threads
        sess = onnxrt.InferenceSession(str(path), opts)
    else:
        import onnxruntime as ort

        oo = ort.SessionOptions()
        oo.intra_op_num_threads = threads
        oo.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(str(path), oo, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {i.name: rng.random([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
            for i in sess.get_inputs() if "float" in i.type}
    ids = next(i.name for i in sess.get_inputs() if "int" in i.type)
    for step in range(3):  # warm-up
        feed[ids] = np.array([[step]], np.int64)
        sess.run(None, feed)
    held, times = [], []
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for step in range(steps):
        feed[ids] = np.array([[step % 100]], np.int64)
        t0 = time.perf_counter()
        out = sess.run(None, feed)
        times.append(time.perf_counter() - t0)
        if keep:
            held.append(out)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / steps
    print(f"{runtime:12s} {'keeps every output' if keep else 'drops outputs':18s} "
          f"median {np.median(times) * 1e3:6.2f} ms per step, {faults:6.0f} page faults per step", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2, help="each (runtime, loop) pair this many times, alternating")
    ap.add_argument("--one", nargs=2, metavar=("RUNTIME", "LOOP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one_loop(args.one[0], args.one[1] == "keep", args.threads, args.steps)
    for _ in range(args.rounds):
        for loop in ("drop", "keep"):
            for runtime in ("onnxrt", "onnxruntime"):
                subprocess.run([sys.executable, __file__, "--one", runtime, loop, "--threads", str(args.threads),
                                "--steps", str(args.steps)], check=True)


if __name__ == "__main__":
    main()
