"""Bitwise determinism survey: which kernels give identical bits with intra_op_num_threads=1 and 2,
and on repeated runs. Prints a markdown table that docs/reliability.md records.

    python benchmarks/reliability/determinism.py [--zoo NAME,...] [--no-zoo] [--no-ops]

Two parts:
  ops  single-op models with shapes large enough that the pool splits the work (a parallel_for
       below ~64K operations runs inline, so small shapes prove nothing);
  zoo  the benchmark zoo's models (benchmarks/models/zoo.py, exported once and cached); every node
       output is made a graph output, so a difference is pinned on the first node whose inputs
       agree bitwise but whose output does not.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

import onnxrt

OPSET = 18


def session(data: bytes, threads: int) -> onnxrt.InferenceSession:
    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = threads
    return onnxrt.InferenceSession(data, opts)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype == object:
        return bool((a == b).all())
    return a.tobytes() == b.tobytes()


def max_ulp_like(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference, to say how far apart two non-identical results are."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = np.abs(a - b) / np.maximum(np.abs(b), 1e-30)
    d = d[np.isfinite(d)]
    return float(d.max()) if d.size else 0.0


# --- single-op models -------------------------------------------------------------------------------

def _w(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def op_cases():
    """(label, nodes, inputs {name: array}, initializers {name: array}, outputs)."""
    rng = np.random.default_rng(0)
    n = helper.make_node
    cases = [
        ("MatMul 256x512 @ 512x512", [n("MatMul", ["x", "w"], ["y"])], {"x": _w(rng, (256, 512))}, {"w": _w(rng, (512, 512))}),
        ("MatMul 8x8192 @ 8192x64 (long K)", [n("MatMul", ["x", "w"], ["y"])], {"x": _w(rng, (8, 8192))}, {"w": _w(rng, (8192, 64))}),
        ("MatMul 1x4096 @ 4096x1024 (GEMV)", [n("MatMul", ["x", "w"], ["y"])], {"x": _w(rng, (1, 4096))}, {"w": _w(rng, (4096, 1024))}),
        ("MatMul batched 16x128x64 @ 16x64x128", [n("MatMul", ["x", "z"], ["y"])], {"x": _w(rng, (16, 128, 64)), "z": _w(rng, (16, 64, 128))}, {}),
        ("Gemm 128x1024 transB + bias", [n("Gemm", ["x", "w", "b"], ["y"], transB=1)], {"x": _w(rng, (128, 1024))}, {"w": _w(rng, (512, 1024)), "b": _w(rng, (512,))}),
        ("Conv 3x3 32->64 on 56x56", [n("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])], {"x": _w(rng, (1, 32, 56, 56))}, {"w": _w(rng, (64, 32, 3, 3)), "b": _w(rng, (64,))}),
        ("Conv 1x1 256->256 on 28x28", [n("Conv", ["x", "w"], ["y"])], {"x": _w(rng, (1, 256, 28, 28))}, {"w": _w(rng, (256, 256, 1, 1))}),
        ("Conv depthwise 3x3 96ch 112x112", [n("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], group=96)], {"x": _w(rng, (1, 96, 112, 112))}, {"w": _w(rng, (96, 1, 3, 3))}),
        ("ConvTranspose 3x3 64->32 on 28x28", [n("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])], {"x": _w(rng, (1, 64, 28, 28))}, {"w": _w(rng, (64, 32, 3, 3))}),
        ("ReduceSum all of 2M", [n("ReduceSum", ["x"], ["y"], keepdims=0)], {"x": _w(rng, (2048, 1024))}, {}),
        ("ReduceSum all of 300,000", [n("ReduceSum", ["x"], ["y"], keepdims=0)], {"x": _w(rng, (300000,))}, {}),
        ("ReduceMean all of 300,000", [n("ReduceMean", ["x"], ["y"], keepdims=0)], {"x": _w(rng, (300000,))}, {}),
        ("ReduceSum axis 0 of 2048x1024", [n("ReduceSum", ["x", "axes"], ["y"])], {"x": _w(rng, (2048, 1024))}, {"axes": np.array([0], np.int64)}),
        ("ReduceMean axis 1 of 1024x2048", [n("ReduceMean", ["x", "axes"], ["y"])], {"x": _w(rng, (1024, 2048))}, {"axes": np.array([1], np.int64)}),
        ("ReduceL2 all of 1M", [n("ReduceL2", ["x"], ["y"], keepdims=0)], {"x": _w(rng, (1024, 1024))}, {}),
        ("Softmax 512x1024", [n("Softmax", ["x"], ["y"], axis=-1)], {"x": _w(rng, (512, 1024))}, {}),
        ("LayerNormalization 512x1024", [n("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], {"x": _w(rng, (512, 1024))}, {"g": _w(rng, (1024,)), "b": _w(rng, (1024,))}),
        ("BatchNormalization 1x64x56x56", [n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])], {"x": _w(rng, (1, 64, 56, 56))},
         {"s": _w(rng, (64,)), "b": _w(rng, (64,)), "m": _w(rng, (64,)), "v": np.abs(_w(rng, (64,))) + 0.5}),
        ("GlobalAveragePool 1x256x56x56", [n("GlobalAveragePool", ["x"], ["y"])], {"x": _w(rng, (1, 256, 56, 56))}, {}),
        ("AveragePool 3x3 1x64x112x112", [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])], {"x": _w(rng, (1, 64, 112, 112))}, {}),
        ("MaxPool 3x3/2 1x64x112x112", [n("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2])], {"x": _w(rng, (1, 64, 112, 112))}, {}),
        ("Add broadcast 1M", [n("Add", ["x", "b"], ["y"])], {"x": _w(rng, (1024, 1024))}, {"b": _w(rng, (1024,))}),
        ("Gelu/Erf chain 1M", [n("Div", ["x", "s"], ["d"]), n("Erf", ["d"], ["e"]), n("Mul", ["x", "e"], ["y"])], {"x": _w(rng, (1024, 1024))}, {"s": np.array(1.4142135, np.float32)}),
        ("Tanh 1M", [n("Tanh", ["x"], ["y"])], {"x": _w(rng, (1024, 1024))}, {}),
        ("Exp 1M", [n("Exp", ["x"], ["y"])], {"x": _w(rng, (1024, 1024))}, {}),
        ("CumSum axis 1 of 512x2048", [n("CumSum", ["x", "ax"], ["y"])], {"x": _w(rng, (512, 2048))}, {"ax": np.array(1, np.int64)}),
        ("Transpose 0,2,1,3 of 8x256x16x64", [n("Transpose", ["x"], ["y"], perm=[0, 2, 1, 3])], {"x": _w(rng, (8, 256, 16, 64))}, {}),
        ("Gather rows 4096 of 30000x256", [n("Gather", ["w", "i"], ["y"])], {"i": rng.integers(0, 30000, 4096).astype(np.int64)}, {"w": _w(rng, (30000, 256))}),
        ("LSTM seq 32 batch 8 hidden 256", [n("LSTM", ["x", "W", "R", "B"], ["y"], hidden_size=256)], {"x": _w(rng, (32, 8, 128))},
         {"W": _w(rng, (1, 1024, 128)) * 0.1, "R": _w(rng, (1, 1024, 256)) * 0.1, "B": _w(rng, (1, 2048)) * 0.1}),
    ]
    return cases


def op_model(nodes, feeds, inits) -> bytes:
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in feeds.items()],
        [onnx.ValueInfoProto(name=nodes[-1].output[0])],
        [onnx.numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 10
    return m.SerializeToString()


def survey_ops() -> list[tuple[str, str, str]]:
    rows = []
    for label, nodes, feeds, inits in op_cases():
        data = op_model(nodes, feeds, inits)
        one, two = session(data, 1), session(data, 2)
        a = one.run(None, feeds)
        b = two.run(None, feeds)
        b_again = two.run(None, feeds)
        repeat = all(same_bits(x, y) for x, y in zip(b, b_again))
        across = all(same_bits(x, y) for x, y in zip(a, b))
        detail = "" if across else f"max rel diff {max(max_ulp_like(x, y) for x, y in zip(a, b)):.1e}"
        rows.append((label, "yes" if repeat else "NO", "yes" if across else f"NO ({detail})"))
        print(f"  {label}: repeat={repeat} 1-vs-2={across} {detail}", file=sys.stderr)
    return rows


# --- zoo models -------------------------------------------------------------------------------------

def with_every_node_output(model: onnx.ModelProto) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    declared = {o.name for o in m.graph.output}
    for node in m.graph.node:
        for out in node.output:
            if out and out not in declared:
                m.graph.output.append(onnx.ValueInfoProto(name=out))
                declared.add(out)
    return m


def survey_zoo(names: list[str]) -> tuple[list[tuple], dict[str, list[str]]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
    import zoo  # noqa: E402  (torch only when the zoo part runs)

    rows = []
    culprits: dict[str, set[str]] = defaultdict(set)
    for name in names:
        path, inputs = zoo.export(zoo.BY_NAME[name])
        model = onnx.load(str(path))
        feeds = {i.name: x for i, x in zip(model.graph.input, inputs)}
        data = model.SerializeToString()
        one, two = session(data, 1), session(data, 2)
        a, b, b_again = one.run(None, feeds), two.run(None, feeds), two.run(None, feeds)
        repeat = all(same_bits(x, y) for x, y in zip(b, b_again))
        across = all(same_bits(x, y) for x, y in zip(a, b))
        # Pin any difference on nodes: every node output becomes a graph output (this blocks the
        # fusions whose intermediate it exposes, so the fused model is compared above too).
        expanded = with_every_node_output(model)
        one_x, two_x = session(expanded.SerializeToString(), 1), session(expanded.SerializeToString(), 2)
        names_out = [o.name for o in one_x.get_outputs()]
        va = dict(zip(names_out, one_x.run(None, feeds)))
        vb = dict(zip(names_out, two_x.run(None, feeds)))
        differing = {k for k in names_out if not same_bits(va[k], vb[k])}
        first_causes = []
        for node in expanded.graph.node:
            outs = [o for o in node.output if o in differing]
            if outs and not any(i in differing for i in node.input):
                first_causes.append(node.op_type)
                culprits[node.op_type].add(name)
        n_nodes = len(expanded.graph.node)
        rows.append((name, n_nodes, "yes" if repeat else "NO", "yes" if across else "NO",
                     f"{len(differing)}/{len(names_out)}",
                     ", ".join(sorted(set(first_causes))) or "-"))
        print(f"  {name}: repeat={repeat} 1-vs-2={across} differing={len(differing)} causes={sorted(set(first_causes))}",
              file=sys.stderr)
    return rows, {k: sorted(v) for k, v in culprits.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", default="mlp,small_cnn,mobilenetv2_b1,resnet50_b1,transformer_2layer_s128,lstm_2layer,bert_base_s128,gpt2_prefill_s128")
    parser.add_argument("--no-zoo", action="store_true")
    parser.add_argument("--no-ops", action="store_true")
    args = parser.parse_args()
    if not args.no_ops:
        rows = survey_ops()
        print("\n| kernel (single-op model) | repeated runs identical | 1 vs 2 threads identical |")
        print("|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} |")
    if not args.no_zoo:
        rows, culprits = survey_zoo([s for s in args.zoo.split(",") if s])
        print("\n| model | nodes | repeated runs identical | 1 vs 2 threads identical | node outputs differing | first differing ops |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print("| " + " | ".join(str(c) for c in r) + " |")
        if culprits:
            print("\nOps whose output differs between 1 and 2 threads although their inputs agree:")
            for op, models in sorted(culprits.items()):
                print(f"- {op}: {', '.join(models)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
