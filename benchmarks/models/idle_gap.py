"""Run times by position after an idle gap, as run.py's blocks meet them: sleep, then a few runs in a
row, each position's median over many blocks, onnxrt and onnxruntime alternating in one process.
With --ort-spin 0 onnxruntime's workers sleep right after a run (session.intra_op.allow_spinning
= 0) instead of spinning for ~40 ms. For the small models at 2 threads, where run.py's ratio
depends on what the cores did during the gap (performance_notes.md, twenty-fourth session).

    python benchmarks/models/idle_gap.py small_cnn [--threads 2] [--gap-ms 60] [--blocks 60] [--ort-spin 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import zoo  # noqa: E402
from run import make_sessions  # noqa: E402

POSITIONS = 6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(zoo.BY_NAME))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gap-ms", type=float, default=60.0)
    ap.add_argument("--blocks", type=int, default=60)
    ap.add_argument("--ort-spin", choices=["0", "1"], default="1")
    args = ap.parse_args()
    path, inputs = zoo.export(zoo.BY_NAME[args.model])

    ours, theirs = make_sessions(path, args.threads, {"session.intra_op.allow_spinning": args.ort_spin})
    feed = {i.name: x for i, x in zip(theirs.get_inputs(), inputs)}

    times = {"onnxrt": [[] for _ in range(POSITIONS)], "onnxruntime": [[] for _ in range(POSITIONS)]}
    pair = [("onnxrt", ours), ("onnxruntime", theirs)]
    for b in range(args.blocks):
        for name, sess in pair if b % 2 == 0 else pair[::-1]:
            time.sleep(args.gap_ms / 1e3)
            for p in range(POSITIONS):
                t0 = time.perf_counter()
                sess.run(None, feed)
                times[name][p].append((time.perf_counter() - t0) * 1e6)
    print(f"{args.model}, {args.threads} thread(s), {args.gap_ms:g} ms gaps, onnxruntime allow_spinning "
          f"{args.ort_spin}: median us by run position after the gap ({args.blocks} blocks each)")
    for name, by_pos in times.items():
        print(f"  {name:12s}" + "".join(f"{statistics.median(t):8.0f}" for t in by_pos))
    return 0


if __name__ == "__main__":
    sys.exit(main())
