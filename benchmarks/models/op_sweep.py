"""Single ONNX ops at typical sizes on onnxrt and onnxruntime in one process, for finding ops far
behind (the twenty-first session's sweep; its figures in performance_notes.md): each op is a
one-node model with random inputs, timed in two alternated blocks per runtime after warm-up;
the better block's median is reported with the ratio onnxruntime / onnxrt (below 0.7 marked).

    python benchmarks/models/op_sweep.py [--threads 1] [--only substring]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import onnxrt

sys.path.insert(0, str(Path(__file__).parent))
from timing import block_ms  # noqa: E402


def _model(nodes, inputs: dict, inits=(), opset: int = 18) -> bytes:
    graph = helper.make_graph(
        nodes, "op", [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                      for k, v in inputs.items()],
        [helper.make_empty_tensor_value_info(nodes[-1].output[0])], list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8  # what the pinned onnxruntime reads
    return m.SerializeToString()


def cases(rng):
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    c = lambda name, a: numpy_helper.from_array(np.asarray(a), name)  # noqa: E731
    n = helper.make_node
    X, S, E = f(1, 64, 56, 56), f(1, 12, 128, 128), f(1, 128, 768)
    ones = [c(k, np.ones(64, np.float32)) for k in "sbmv"]
    return [
        ("HardSwish [1,196,256]", [n("HardSwish", ["x"], ["y"])], {"x": f(1, 196, 256) * 4}, []),
        ("Log [1,64,56,56]", [n("Log", ["x"], ["y"])], {"x": np.abs(X) + 0.1}, []),
        ("Elu [1,64,56,56]", [n("Elu", ["x"], ["y"])], {"x": X}, []),
        ("LogSoftmax [1,128,768]", [n("LogSoftmax", ["x"], ["y"], axis=-1)], {"x": E}, []),
        ("Softmax [1,12,128,128]", [n("Softmax", ["x"], ["y"], axis=-1)], {"x": S}, []),
        ("Where mask [1,12,128,128]", [n("Where", ["m", "x", "z"], ["y"])],
         {"m": rng.random((1, 1, 128, 128)) > 0.5, "x": S}, [c("z", np.float32(-1e9))]),
        ("BatchNormalization [1,64,56,56]", [n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])], {"x": X}, ones),
        ("Resize nearest 2x [1,64,56,56]", [n("Resize", ["x", "", "s"], ["y"], mode="nearest",
                                              coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
         {"x": X}, [c("s", np.array([1, 1, 2, 2], np.float32))]),
        ("GatherElements [1,4800,85]", [n("GatherElements", ["x", "i"], ["y"], axis=1)],
         {"x": f(1, 4800, 85), "i": rng.integers(0, 4800, (1, 100, 85))}, []),
        ("ArgMax axis 1 [1,64,56,56]", [n("ArgMax", ["x"], ["y"], axis=1)], {"x": X}, []),
        ("Einsum bhqd,bhkd->bhqk", [n("Einsum", ["q", "k"], ["y"], equation="bhqd,bhkd->bhqk")],
         {"q": f(1, 12, 128, 64), "k": f(1, 12, 128, 64)}, []),
        ("LayerNormalization [1,128,768]", [n("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], {"x": E},
         [c("g", np.ones(768, np.float32)), c("b", np.zeros(768, np.float32))]),
        ("SpaceToDepth [1,64,56,56]", [n("SpaceToDepth", ["x"], ["y"], blocksize=2)], {"x": X}, []),
        ("AveragePool 3x3 [1,64,56,56]", [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
         {"x": X}, []),
        ("Pad constant [1,64,56,56]", [n("Pad", ["x", "p"], ["y"])], {"x": X},
         [c("p", np.array([0, 0, 1, 1, 0, 0, 1, 1]))]),
        ("Equal int64 [1,200704]", [n("Equal", ["x", "x"], ["y"])], {"x": rng.integers(0, 100, (1, 200704))}, []),
        ("MatMul [12,128,64]x[12,64,128]", [n("MatMul", ["a", "b"], ["y"])], {"a": f(12, 128, 64), "b": f(12, 64, 128)}, []),
        # The twenty-third session's: a ViT's GELU (opset 20), Tanh, a YOLO neck's nearest
        # upsample and an FPN's bilinear one.
        ("Gelu [1,197,3072]", [n("Gelu", ["x"], ["y"])], {"x": f(1, 197, 3072)}, [], 20),
        ("Tanh [1,64,56,56]", [n("Tanh", ["x"], ["y"])], {"x": X}, []),
        ("Resize nearest 2x [1,256,20,20]", [n("Resize", ["x", "", "s"], ["y"], mode="nearest",
                                               coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
         {"x": f(1, 256, 20, 20)}, [c("s", np.array([1, 1, 2, 2], np.float32))]),
        ("Resize linear 2x [1,64,56,56]", [n("Resize", ["x", "", "s"], ["y"], mode="linear")], {"x": X},
         [c("s", np.array([1, 1, 2, 2], np.float32))]),
        # The twenty-fourth session's: GELU's tanh form as GPT-2 exports it (onnxrt collapses the nine
        # nodes into one activation),
        # Mish (YOLOv4) and a YOLOv5 Focus layer's x[..., ::2, ::2].
        ("GELU tanh form [1,128,3072]", [n("Mul", ["x", "x"], ["x2"]), n("Mul", ["x2", "x"], ["x3"]),
                                         n("Mul", ["x3", "k"], ["kx3"]), n("Add", ["x", "kx3"], ["in0"]),
                                         n("Mul", ["in0", "s"], ["in1"]), n("Tanh", ["in1"], ["t"]),
                                         n("Add", ["t", "one"], ["t1"]), n("Mul", ["x", "t1"], ["xt"]),
                                         n("Mul", ["xt", "half"], ["y"])], {"x": f(1, 128, 3072)},
         [c("k", np.float32(0.044715)), c("s", np.float32(0.7978845608)), c("one", np.float32(1)),
          c("half", np.float32(0.5))]),
        ("Mish [1,64,56,56]", [n("Mish", ["x"], ["y"])], {"x": X}, []),
        ("Slice ::2 ::2 [1,3,640,640]", [n("Slice", ["x", "b", "e", "a", "st"], ["y"])], {"x": f(1, 3, 640, 640)},
         [c("b", np.array([0, 0])), c("e", np.array([640, 640])), c("a", np.array([2, 3])), c("st", np.array([2, 2]))]),
        # The twenty-fifth session's: a ConvNeXt block's channels-last round trip and its 7x7
        # depthwise conv.
        ("Transpose to NHWC [1,96,56,56]", [n("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], {"x": f(1, 96, 56, 56)}, []),
        ("Transpose to NCHW [1,56,56,96]", [n("Transpose", ["x"], ["y"], perm=[0, 3, 1, 2])], {"x": f(1, 56, 56, 96)}, []),
        ("Depthwise 7x7 [1,96,56,56]", [n("Conv", ["x", "w", "b"], ["y"], group=96, pads=[3, 3, 3, 3])],
         {"x": f(1, 96, 56, 56)}, [c("w", f(96, 1, 7, 7)), c("b", f(96))]),
        # DeBERTa's disentangled attention: relative-position scores gathered along the last axis.
        ("GatherElements last axis [12,128,512]", [n("GatherElements", ["x", "i"], ["y"], axis=-1)],
         {"x": f(12, 128, 512), "i": np.broadcast_to(np.clip(np.arange(128)[:, None] - np.arange(128)[None, :] + 256,
                                                               0, 511), (12, 128, 128)).copy()}, []),
        # RMSNorm as torch.onnx writes transformers' LlamaRMSNorm (onnxrt fuses the chain).
        ("RMSNorm chain [1,128,2048]", [n("Pow", ["x", "two"], ["sq"]), n("ReduceMean", ["sq", "ax"], ["ms"]),
                                        n("Add", ["ms", "eps"], ["mse"]), n("Sqrt", ["mse"], ["rt"]),
                                        n("Reciprocal", ["rt"], ["inv"]), n("Mul", ["x", "inv"], ["xn"]),
                                        n("Mul", ["w", "xn"], ["y"])], {"x": f(1, 128, 2048)},
         [c("two", np.float32(2)), c("ax", np.array([-1])), c("eps", np.float32(1e-6)), c("w", f(2048))]),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    ours_opts = onnxrt.SessionOptions()
    ours_opts.intra_op_num_threads = args.threads
    for name, nodes, feed, inits, *opset in cases(np.random.default_rng(0)):
        if args.only not in name:
            continue
        model = _model(nodes, feed, inits, *opset)
        theirs = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        ours = onnxrt.InferenceSession(model, ours_opts)
        t = min(block_ms(theirs, feed, 60), block_ms(theirs, feed, 60))
        o = min(block_ms(ours, feed, 60), block_ms(ours, feed, 60))
        print(f"{name:34s} onnxruntime {t:8.4f} ms  onnxrt {o:8.4f} ms  {t / o:5.2f}x{'  <<<' if t / o < 0.7 else ''}")


if __name__ == "__main__":
    main()
