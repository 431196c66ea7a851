"""Random ONNX graphs made of the patterns onnxrt's graph passes rewrite, and of near misses of them.

Each graph is one of three families, built from a seed:
  cnn        Conv (1x1 / 3x3 / 5x5, strides, dilations, depthwise, asymmetric pads), Pad before a conv
             (constant with zero or non-zero value, reflect, edge, a channel pad), BatchNormalization,
             activations, residual and broadcast Add / Mul / Sub / Div, pools;
  mlp        MatMul with constant weights (some through a Transpose), bias Adds of every broadcast
             shape and order, LayerNorm and RMSNorm written out op by op (some over the wrong
             axis), a softmax attention over the last two dims with and without a mask;
  attention  multi-head attention as exporters write it (Q / K / V projections, Reshape,
             Transpose, the scale before or after the product, masks of four shapes, -inf or
             -1e9, a softmax over the wrong axis now and then);
activations as single ops or as the chains torch writes (Swish, erf and tanh GELU, sometimes with a
constant slightly off). About one value in twelve is also made a graph output, so a fusion that
swallows a value another reader needs shows up.

tests/python/test_pattern_graphs.py runs them; the same module serves longer scratch runs
(`python tests/python/pattern_graphs.py FIRST LAST` prints the seeds whose results differ).
"""

from __future__ import annotations

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Builder:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.extra_outputs: list[str] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value) -> str:
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value), n))
        return n

    def randn(self, shape, scale: float = 1.0) -> np.ndarray:
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        out = self.name(op.lower()[:4])
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        if self.rng.random() < 0.08:
            self.extra_outputs.append(out)
        return out


def _activation(b: _Builder, x: str) -> str:
    r = b.rng
    kind = int(r.integers(0, 12))
    if kind == 0:
        return b.node("Relu", [x])
    if kind == 1:
        lo, hi = sorted(float(v) for v in r.uniform(-2, 6, 2))
        ins = [x, b.const(np.float32(lo)) if r.random() < 0.8 else "", b.const(np.float32(hi)) if r.random() < 0.8 else ""]
        while ins[-1] == "":
            ins.pop()
        return b.node("Clip", ins)
    if kind == 2:
        return b.node("LeakyRelu", [x], alpha=float(r.uniform(0, 0.5)))
    if kind == 3:
        return b.node("HardSigmoid", [x], alpha=float(r.uniform(0.1, 0.3)), beta=float(r.uniform(0.3, 0.6)))
    if kind == 4:
        return b.node("Sigmoid", [x])
    if kind == 5:
        return b.node("Tanh", [x])
    if kind == 6:  # Swish x * sigmoid(a x): 1.702 is the quick GELU, 1.0001 a near miss of a = 1
        a = [1.0, 1.702, 1.0001][int(r.integers(0, 3))]
        s = b.node("Sigmoid", [x if a == 1.0 else b.node("Mul", [x, b.const(np.float32(a))])])
        return b.node("Mul", [s, x] if r.random() < 0.5 else [x, s])
    if kind == 7:  # erf GELU; 1.4 for sqrt(2) is a near miss
        d = b.node("Div", [x, b.const(np.float32([np.sqrt(2.0), np.sqrt(2.0), 1.4][int(r.integers(0, 3))]))])
        one_plus = b.node("Add", [b.node("Erf", [d]), b.const(np.float32(1.0))])
        return b.node("Mul", [b.node("Mul", [x, one_plus]), b.const(np.float32(0.5))])
    if kind == 8:  # tanh GELU; 0.0447 a near miss
        cube = b.node("Pow", [x, b.const(np.float32(3.0))])
        inner = b.node("Add", [x, b.node("Mul", [cube, b.const(np.float32([0.044715, 0.0447][int(r.integers(0, 2))]))])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.const(np.float32(np.sqrt(2 / np.pi)))])])
        return b.node("Mul", [b.node("Mul", [x, b.const(np.float32(0.5))]), b.node("Add", [t, b.const(np.float32(1.0))])])
    if kind == 9:
        return b.node("Relu", [b.node("Relu", [x])])
    if kind == 10:
        return b.node("HardSwish", [x])
    return b.node("Elu", [x], alpha=float(r.uniform(0.5, 1.5)))


def _conv(b: _Builder, x: str, shape: list[int]) -> tuple[str, list[int]]:
    r = b.rng
    n, c, h, w = shape
    k = int(r.choice([1, 3, 5]))
    s = int(r.choice([1, 1, 2]))
    group = c if r.random() < 0.3 else 1
    m = c if group == c else int(r.choice([8, 16, 24, 32, 5, 3]))
    pads = [int(p) for p in r.integers(0, k // 2 + 1, 4)] if r.random() < 0.8 else [k // 2] * 4
    dil = int(r.choice([1, 1, 1, 2]))
    span = dil * (k - 1) + 1
    oh, ow = (h + pads[0] + pads[2] - span) // s + 1, (w + pads[1] + pads[3] - span) // s + 1
    if oh < 1 or ow < 1:
        return x, shape
    ins = [x, b.const(b.randn((m, c // group, k, k), 1 / np.sqrt(c // group * k * k)))]
    if r.random() < 0.6:
        ins.append(b.const(b.randn((m,))))
    y = b.node("Conv", ins, kernel_shape=[k, k], strides=[s, s], pads=pads, dilations=[dil, dil], group=group)
    return y, [n, m, oh, ow]


def _pad_then_conv(b: _Builder, x: str, shape: list[int]) -> tuple[str, list[int]]:
    r = b.rng
    n, c, h, w = shape
    mode = ["constant", "constant", "reflect", "edge"][int(r.integers(0, 4))]
    if mode == "reflect" and (h < 3 or w < 3):
        mode = "constant"
    p = [0, 0, int(r.integers(0, 2)), int(r.integers(0, 2)), 0, 0, int(r.integers(0, 2)), int(r.integers(0, 2))]
    if r.random() < 0.15:
        p[1] = 1  # a channel pad, which no conv's pads can express
    ins = [x, b.const(np.array(p, np.int64))]
    if mode == "constant" and r.random() < 0.5:
        ins.append(b.const(np.float32([0.0, 0.0, 1.5][int(r.integers(0, 3))])))
    y = b.node("Pad", ins, mode=mode)
    return _conv(b, y, [n, c + p[1] + p[5], h + p[2] + p[6], w + p[3] + p[7]])


def _batchnorm(b: _Builder, x: str, c: int) -> str:
    ins = [x, b.const(b.randn((c,)) + 1), b.const(b.randn((c,))), b.const(b.randn((c,)) * 0.1),
           b.const(np.abs(b.randn((c,))) + 0.5)]
    return b.node("BatchNormalization", ins, epsilon=float(b.rng.choice([1e-5, 1e-3, 0.1])))


def _binary_with(b: _Builder, x: str, shape: list[int], earlier: list[tuple[str, list[int]]]) -> str:
    r = b.rng
    same = [v for v, s in earlier if s == shape and v != x]
    if r.random() < 0.25 and same:  # a residual
        other = same[int(r.integers(0, len(same)))]
        return b.node("Add", [x, other] if r.random() < 0.5 else [other, x])
    shapes = [(shape[-1],), (), (1,) * len(shape)] + ([(shape[1], 1, 1), (1, shape[1], 1, 1)] if len(shape) == 4 else [])
    cshape = shapes[int(r.integers(0, len(shapes)))]
    op = ["Add", "Mul", "Sub", "Div"][int(r.integers(0, 4))]
    c = b.const(b.randn(cshape) + (2.0 if op == "Div" else 0.0))
    return b.node(op, [x, c] if r.random() < 0.7 else [c, x])


def _cnn(b: _Builder) -> tuple[list[int], str]:
    """(input shape, output value)."""
    r = b.rng
    shape = [int(r.choice([1, 2])), int(r.choice([3, 8, 16])), int(r.integers(4, 14)), int(r.integers(4, 14))]
    x_shape = list(shape)
    x, earlier = "x", [("x", list(shape))]
    for _ in range(int(r.integers(2, 8))):
        kind = int(r.integers(0, 6))
        if kind == 0:
            x, shape = _conv(b, x, shape)
        elif kind == 1:
            x, shape = _pad_then_conv(b, x, shape)
        elif kind == 2:
            x = _batchnorm(b, x, shape[1])
        elif kind == 3:
            x = _activation(b, x)
        elif kind == 4:
            x = _binary_with(b, x, shape, earlier)
        elif r.random() < 0.5:
            x = b.node("MaxPool", [x], kernel_shape=[2, 1], pads=[1, 0, 0, 0])  # H stays: (H + 1 - 2) + 1
        else:
            x, shape = b.node("GlobalAveragePool", [x]), shape[:2] + [1, 1]
        earlier.append((x, list(shape)))
    return x_shape, x


def _linear(b: _Builder, x: str, shape: list[int]) -> tuple[str, list[int]]:
    r = b.rng
    k, n = shape[-1], int(r.choice([4, 8, 16, 24]))
    w = b.randn((k, n), 1 / np.sqrt(k))
    wv = b.node("Transpose", [b.const(np.ascontiguousarray(w.T))], perm=[1, 0]) if r.random() < 0.3 else b.const(w)
    y, shape = b.node("MatMul", [x, wv]), shape[:-1] + [n]
    if r.random() < 0.7:
        options = [(n,), (1, n), (shape[-2], n), (1, 1, n), ()]
        bshape = options[int(r.integers(0, len(options)))]
        bias = b.const(b.randn(bshape))
        y = b.node("Add", [y, bias] if r.random() < 0.7 else [bias, y])
        shape = list(np.broadcast_shapes(tuple(shape), bshape))
    return y, shape


def _layernorm(b: _Builder, x: str, c: int) -> str:
    axis = -1 if b.rng.random() < 0.8 else -2
    mean = b.node("ReduceMean", [x], axes=[axis], keepdims=1)
    d = b.node("Sub", [x, mean])
    sq = b.node("Pow", [d, b.const(np.float32(2.0))]) if b.rng.random() < 0.6 else b.node("Mul", [d, d])
    var = b.node("ReduceMean", [sq], axes=[axis], keepdims=1)
    std = b.node("Sqrt", [b.node("Add", [var, b.const(np.float32(b.rng.choice([1e-5, 1e-12, 0.5])))])])
    y = b.node("Div", [d, std])
    if b.rng.random() < 0.8:
        y = b.node("Add", [b.node("Mul", [y, b.const(b.randn((c,)) + 1)]), b.const(b.randn((c,)))])
    return y


def _rmsnorm(b: _Builder, x: str, c: int) -> str:
    axis = -1 if b.rng.random() < 0.85 else -2
    ms = b.node("ReduceMean", [b.node("Pow", [x, b.const(np.float32(2.0))])], axes=[axis], keepdims=1)
    eps = b.const(np.float32(b.rng.choice([1e-6, 1e-5, 0.3])))
    y = b.node("Mul", [x, b.node("Reciprocal", [b.node("Sqrt", [b.node("Add", [ms, eps])])])])
    return b.node("Mul", [b.const(b.randn((c,)) + 1), y]) if b.rng.random() < 0.7 else y


def _self_attention_2d(b: _Builder, x: str, shape: list[int]) -> str:
    perm = list(range(len(shape)))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    scores = b.node("Mul", [b.node("MatMul", [x, b.node("Transpose", [x], perm=perm)]),
                            b.const(np.float32(1 / np.sqrt(shape[-1])))])
    if b.rng.random() < 0.5:
        mask = np.where(b.rng.random((shape[-2], shape[-2])) < 0.2, -1e4, 0).astype(np.float32)
        scores = b.node("Add", [scores, b.const(mask)])
    return b.node("MatMul", [b.node("Softmax", [scores], axis=-1), x])


def _mlp(b: _Builder) -> tuple[list[int], str]:
    """(input shape, output value)."""
    r = b.rng
    shape = ([int(r.integers(1, 3))] if r.random() < 0.6 else []) + [int(r.integers(1, 9)), int(r.choice([4, 16, 32]))]
    x_shape = list(shape)
    x, earlier = "x", [("x", list(shape))]
    for _ in range(int(r.integers(2, 7))):
        kind = int(r.integers(0, 7))
        if kind <= 1:
            x, shape = _linear(b, x, shape)
        elif kind == 2:
            x = _activation(b, x)
        elif kind == 3:
            x = _layernorm(b, x, shape[-1])
        elif kind == 4:
            x = _rmsnorm(b, x, shape[-1])
        elif kind == 5:
            x = _self_attention_2d(b, x, shape)
        else:
            x = _binary_with(b, x, shape, earlier)
        earlier.append((x, list(shape)))
    return x_shape, x


def _attention(b: _Builder) -> tuple[list[int], str]:
    """(input shape, output value)."""
    r = b.rng
    batch, seq, heads, dim = int(r.integers(1, 3)), int(r.integers(1, 9)), int(r.choice([1, 2, 4])), int(r.choice([4, 8]))
    e = heads * dim

    def project() -> str:
        y = b.node("MatMul", ["x", b.const(b.randn((e, e), 1 / np.sqrt(e)))])
        if r.random() < 0.8:
            y = b.node("Add", [y, b.const(b.randn((e,)))])
        target = [batch, seq, heads, dim] if r.random() < 0.7 else [0, 0, heads, dim]
        return b.node("Reshape", [y, b.const(np.array(target, np.int64))])

    q, k, v = project(), project(), project()
    q = b.node("Transpose", [q], perm=[0, 2, 1, 3])
    v = b.node("Transpose", [v], perm=[0, 2, 1, 3])
    if r.random() < 0.7:
        kt = b.node("Transpose", [k], perm=[0, 2, 3, 1])
    else:
        kt = b.node("Transpose", [b.node("Transpose", [k], perm=[0, 2, 1, 3])], perm=[0, 1, 3, 2])
    scale = np.float32(1 / np.sqrt(dim)) if r.random() < 0.8 else np.float32(0.3)
    where = int(r.integers(0, 3))
    if where == 0:
        q = b.node("Mul", [q, b.const(scale)])
    scores = b.node("MatMul", [q, kt])
    if where == 1:
        scores = b.node("Mul", [scores, b.const(scale)])
    elif where == 2:
        scores = b.node("Div", [scores, b.const(np.float32(1 / scale))])
    mask_kind = int(r.integers(0, 5))
    if mask_kind:
        mshape = [(seq, seq), (batch, 1, 1, seq), (1, 1, seq, seq), (batch, heads, seq, seq)][mask_kind - 1]
        fill = np.float32(-1e9) if r.random() < 0.5 else np.float32(-np.inf)
        mask = np.where(r.random(mshape) < 0.25, fill, np.float32(0)).astype(np.float32)
        mask[..., 0] = 0  # no row fully masked (NaN in every runtime, in different places)
        mc = b.const(mask)
        scores = b.node("Add", [scores, mc] if r.random() < 0.7 else [mc, scores])
    probs = b.node("Softmax", [scores], axis=-1 if r.random() < 0.9 else 2)
    out = b.node("Transpose", [b.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    out = b.node("Reshape", [out, b.const(np.array([batch, seq, e], np.int64))])
    return [batch, seq, e], b.node("MatMul", [out, b.const(b.randn((e, e), 1 / np.sqrt(e)))])


def build(seed: int) -> tuple[onnx.ModelProto, dict[str, np.ndarray], str]:
    """(model, feed, family) for one seed: opset 17 (ReduceMean's axes as an attribute; the C++
    pass tests cover opset 18's axes input), input "x", the last value first among the outputs."""
    rng = np.random.default_rng(seed)
    b = _Builder(rng)
    u = rng.random()
    family = "cnn" if u < 0.4 else "mlp" if u < 0.75 else "attention"
    builder = {"cnn": _cnn, "mlp": _mlp, "attention": _attention}[family]
    x_shape, y = builder(b)
    outputs = [y] + [o for o in b.extra_outputs if o != y]
    graph = helper.make_graph(b.nodes, f"pattern_{family}_{seed}",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    feed = {"x": np.random.default_rng(seed + 1).standard_normal(x_shape).astype(np.float32)}
    return model, feed, family


def _differs(got: list[np.ndarray], want: list[np.ndarray]) -> str | None:
    """Why two runs' outputs differ beyond float32 rounding (None when they agree)."""
    for i, (a, r) in enumerate(zip(got, want)):
        if not isinstance(a, np.ndarray):
            return f"output {i}: {type(a).__name__} instead of an array"
        if a.shape != r.shape:
            return f"output {i}: shape {a.shape}, expected {r.shape}"
        finite = np.isfinite(r)
        scale = max(1.0, float(np.abs(r[finite]).max()) if finite.any() else 1.0)
        if r.size and not np.allclose(a, r, rtol=1e-3, atol=2e-4 * scale, equal_nan=True):
            return f"output {i}: max abs difference {float(np.nanmax(np.abs(a - r)))} (values up to {scale:.3g})"
    return None


def compare(seed: int, threads: int = 1) -> str | None:
    """Runs one seed's graph on onnxrt optimized and unoptimized and on onnxruntime with its graph
    optimizations off (its kernels, none of its fusions: onnxruntime 1.x's fusions give wrong
    results on some of these graphs, seed 145 for one); a description of the first difference, or
    None. Graphs onnxruntime rejects (a generator shape mistake) count as agreeing."""
    import onnxruntime as ort

    import onnxrt

    model, feed, _ = build(seed)
    data = model.SerializeToString()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        want = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"]).run(None, feed)
    except Exception:
        return None
    plain = onnxrt.SessionOptions()
    plain.graph_optimization_level = onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = threads
    for label, o in (("optimized", opts), ("unoptimized", plain)):
        try:
            got = onnxrt.InferenceSession(data, o).run(None, feed)
        except Exception as e:  # noqa: BLE001 - reported, not raised: the caller lists seeds
            return f"{label}: {type(e).__name__}: {str(e)[:300]}"
        why = _differs(got, want)
        if why:
            return f"{label} {why}"
    return None


if __name__ == "__main__":
    first, last = int(sys.argv[1]), int(sys.argv[2])
    for s in range(first, last):
        why = compare(s, threads=1 + s % 2)
        if why:
            print(f"seed {s} ({build(s)[2]}): {why}")
