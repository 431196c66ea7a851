"""Memory over time: RSS while one session runs with changing input shapes, and while sessions are
created and destroyed. Prints the figures that docs/reliability.md records.

    python benchmarks/reliability/memory_growth.py [--runs 10000] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import resource
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

import onnxrt


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def model() -> bytes:
    """MatMul + Add + Relu + Softmax + a Reshape through Shape: a dynamic-shape transformer-ish slice."""
    rng = np.random.default_rng(0)
    w = helper.make_tensor("w", TensorProto.FLOAT, [256, 256], rng.standard_normal((256, 256), np.float32).ravel())
    b = helper.make_tensor("b", TensorProto.FLOAT, [256], rng.standard_normal(256, np.float32))
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["m"]),
        helper.make_node("Add", ["m", "b"], ["a"]),
        helper.make_node("Relu", ["a"], ["r"]),
        helper.make_node("Softmax", ["r"], ["s"], axis=-1),
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Reshape", ["s", "shape"], ["y"]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 256])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 256])], [w, b])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 10
    return m.SerializeToString()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args()
    data = model()
    rng = np.random.default_rng(1)
    sess = onnxrt.InferenceSession(data)
    shapes = [(int(rng.integers(1, 9)), int(rng.integers(1, 65))) for _ in range(args.runs)]
    warmup = max(1, args.runs // 20)
    for i, (b, s) in enumerate(shapes):
        sess.run(None, {"x": np.ones((b, s, 256), np.float32)})
        if i + 1 == warmup:
            after_warmup = rss_mb()
    end = rss_mb()
    print(f"runs: {args.runs} with batch 1-8 x seq 1-64 (random); RSS after {warmup} warm-up runs "
          f"{after_warmup:.1f} MB, after all {end:.1f} MB, growth {100 * (end - after_warmup) / after_warmup:+.2f}%")
    del sess
    before = rss_mb()
    for _ in range(args.sessions):
        s = onnxrt.InferenceSession(data)
        s.run(None, {"x": np.ones((1, 4, 256), np.float32)})
        del s
    after = rss_mb()
    print(f"sessions: {args.sessions} created, run once and destroyed; RSS before {before:.1f} MB, "
          f"after {after:.1f} MB, growth {100 * (after - before) / before:+.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
