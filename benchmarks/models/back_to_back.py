"""Back-to-back timing of one zoo model on onnxrt and onnxruntime in one process, without run.py's
idle gaps: a first block of our runs right after creating the session, then alternating blocks
of each runtime (warm-up runs first in each block). For checking a row of the full benchmark when
the host is noisy, and for seeing how the first block after session creation compares with later
ones (docs/performance.md, "Where onnxrt is still slower").

    python benchmarks/models/back_to_back.py resnet50_b1 [--threads 1] [--runs 20] [--blocks 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import zoo  # noqa: E402
from run import make_sessions  # noqa: E402
from timing import block_ms  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(zoo.BY_NAME))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--blocks", type=int, default=2)
    args = ap.parse_args()
    path, inputs = zoo.export(zoo.BY_NAME[args.model])
    ours, theirs = make_sessions(path, args.threads)
    feed = {i.name: x for i, x in zip(theirs.get_inputs(), inputs)}
    print(f"{args.model}, {args.threads} thread(s), medians of {args.runs} runs per block (ms)")
    print(f"onnxrt, first block after creation: {block_ms(ours, feed, args.runs):.3f}")
    for b in range(args.blocks):
        theirs_ms = block_ms(theirs, feed, args.runs)
        ours_ms = block_ms(ours, feed, args.runs)
        print(f"block {b + 1}: onnxruntime {theirs_ms:.3f}  onnxrt {ours_ms:.3f}  speedup {theirs_ms / ours_ms:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
