"""One Conv node with random constant weights, as the per-kernel figures in performance_notes.md
("single-node models") were timed: write the model, then time it with bench_model (ours) or an
onnxruntime session.

    python benchmarks/models/single_conv.py OUT.onnx --channels 144 --size 56 --kernel 5 --stride 2 --depthwise
    build/bench_model OUT.onnx 1 300        # min is the fifth field

Input [1, C, size, size]; "same" padding (kernel // 2); --out-channels M for a dense conv
(default: C), --depthwise for group = C with one input channel per group.
"""

from __future__ import annotations

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def single_conv(channels: int, size: int, kernel: int, stride: int, out_channels: int,
                depthwise: bool) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    group = channels if depthwise else 1
    m = channels if depthwise else out_channels
    fan_in = channels // group * kernel * kernel
    w = rng.standard_normal((m, channels // group, kernel, kernel)) / np.sqrt(fan_in)
    b = rng.standard_normal(m)
    out = (size + 2 * (kernel // 2) - kernel) // stride + 1
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=group, kernel_shape=[kernel, kernel],
                            strides=[stride, stride], pads=[kernel // 2] * 4)
    graph = helper.make_graph([node], "single_conv",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, size, size])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, m, out, out])],
                              [numpy_helper.from_array(w.astype(np.float32), "w"),
                               numpy_helper.from_array(b.astype(np.float32), "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--kernel", type=int, default=3)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--out-channels", type=int, default=None)
    ap.add_argument("--depthwise", action="store_true")
    args = ap.parse_args()
    model = single_conv(args.channels, args.size, args.kernel, args.stride, args.out_channels or args.channels,
                        args.depthwise)
    onnx.checker.check_model(model)
    onnx.save(model, args.out)


if __name__ == "__main__":
    main()
