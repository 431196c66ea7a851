"""onnxrt demo (what `make demo` runs).

Exports two PyTorch models with torch.onnx.export(dynamo=True): the small MLP of the torch.onnx
documentation and a small CNN (Conv-BN-ReLU-MaxPool blocks, global average pooling, Linear). Runs
each on onnxrt and on onnxruntime with the same thread count, compares both with PyTorch and
prints accuracy and median latency. Exits non-zero when a result differs from PyTorch by more
than 1e-4.

    python examples/python/demo.py [--threads N] [--runs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

TOLERANCE = 1e-4


def _torch():
    import torch

    return torch


def make_mlp():
    """The MLP of the torch.onnx documentation: Linear-ReLU-Linear-ReLU-Linear."""
    nn = _torch().nn

    class MLPModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc0 = nn.Linear(8, 8, bias=True)
            self.fc1 = nn.Linear(8, 4, bias=True)
            self.fc2 = nn.Linear(4, 2, bias=True)
            self.fc3 = nn.Linear(2, 2, bias=True)

        def forward(self, tensor_x):
            tensor_x = self.fc0(tensor_x)
            tensor_x = _torch().sigmoid(tensor_x)
            tensor_x = self.fc1(tensor_x)
            tensor_x = _torch().sigmoid(tensor_x)
            tensor_x = self.fc2(tensor_x)
            tensor_x = _torch().sigmoid(tensor_x)
            return self.fc3(tensor_x)

    return MLPModel().eval()


def make_cnn(num_classes: int = 10):
    """Two Conv-BN-ReLU-MaxPool blocks, global average pooling and a Linear classifier."""
    nn = _torch().nn

    def block(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(block(3, 16), block(16, 32))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(32, num_classes)

        def forward(self, x):
            x = self.pool(self.features(x))
            return self.fc(_torch().flatten(x, 1))

    model = SmallCNN()
    # Non-trivial BatchNorm statistics, so folding or mis-ordering them shows in the comparison.
    g = _torch().Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(_torch().randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(_torch().rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(_torch().rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(_torch().randn(m.num_features, generator=g) * 0.1)
    return model.eval()


def demo_models():
    """(name, torch module, example input) for every demo model, deterministic."""
    torch = _torch()
    torch.manual_seed(0)
    mlp = make_mlp()
    cnn = make_cnn()
    return [
        ("mlp", mlp, torch.randn(97, 8)),
        ("cnn", cnn, torch.randn(4, 3, 32, 32)),
    ]


def export_bytes(model, example) -> bytes:
    """torch.onnx.export(dynamo=True) in memory; the model's first dim is a symbolic batch."""
    torch = _torch()
    # The exporter logs a warning per optional torchvision op it cannot register; noise here.
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model,
            (example,),
            dynamo=True,
            verbose=False,
            dynamic_shapes=({0: torch.export.Dim("batch")},),
        )
    return program.model_proto.SerializeToString()


def _median_latencies(run_a, run_b, runs: int) -> tuple[float, float]:
    """Median seconds of two callables, alternated so both see the same machine load."""
    for _ in range(3):
        run_a()
        run_b()
    ta, tb = [], []
    for _ in range(runs):
        t = time.perf_counter()
        run_a()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_b()
        tb.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


def _compare_all(args, out_dir):
    """Exports, runs and times every demo model; returns (table rows, names that failed)."""
    import onnxruntime as ort
    import torch

    import onnxrt

    rows, failed = [], []
    for name, model, example in demo_models():
        with torch.no_grad():
            expected = model(example).numpy()
        path = os.path.join(out_dir, f"{name}.onnx")
        try:
            data = export_bytes(model, example)
        except Exception as e:  # the exporter's errors are many types; report and go on
            print(f"{name}: torch.onnx.export failed: {type(e).__name__}: {e}", file=sys.stderr)
            failed.append(name)
            continue
        with open(path, "wb") as f:
            f.write(data)
        x = example.numpy()

        opts = onnxrt.SessionOptions()
        opts.intra_op_num_threads = args.threads
        ort_opts = ort.SessionOptions()
        ort_opts.intra_op_num_threads = args.threads
        try:
            sess = onnxrt.InferenceSession(path, opts)
            input_name = sess.get_inputs()[0].name
            (ours,) = sess.run(None, {input_name: x})
        except onnxrt.Error as e:
            print(f"{name}: onnxrt failed: {type(e).__name__}: {e}", file=sys.stderr)
            failed.append(name)
            continue
        ref = ort.InferenceSession(path, ort_opts, providers=["CPUExecutionProvider"])
        (theirs,) = ref.run(None, {input_name: x})

        diff_ours = float(np.max(np.abs(ours - expected)))
        diff_ort = float(np.max(np.abs(theirs - expected)))
        if not diff_ours <= TOLERANCE:  # also catches NaN
            failed.append(name)
        t_ours, t_ort = _median_latencies(
            lambda: sess.run(None, {input_name: x}),
            lambda: ref.run(None, {input_name: x}),
            args.runs,
        )
        rows.append((name, tuple(x.shape), diff_ours, diff_ort, t_ours, t_ort))

    return rows, failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads for both runtimes")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per runtime")
    parser.add_argument("--out", help="directory to keep the exported .onnx files in")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(max(args.threads, 1))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        rows, failed = _compare_all(args, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="onnxrt-demo-") as tmp:
            rows, failed = _compare_all(args, tmp)

    where = f", models in {args.out}" if args.out else ""
    print(f"\nthreads={args.threads}, {args.runs} alternating runs after warm-up{where}")
    header = (f"{'model':<6} {'input':<16} {'max|onnxrt-torch|':>18} {'max|ort-torch|':>15} "
              f"{'onnxrt ms':>10} {'ort ms':>8} {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for name, shape, d1, d2, t1, t2 in rows:
        print(f"{name:<6} {str(shape):<16} {d1:>18.2e} {d2:>15.2e} "
              f"{t1 * 1e3:>10.3f} {t2 * 1e3:>8.3f} {t1 / t2:>6.2f}")
    if failed:
        print(f"\nFAILED (onnxrt differs from torch by more than {TOLERANCE} or did not run): "
              f"{', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nall models match PyTorch within {TOLERANCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
