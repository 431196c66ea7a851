"""Shared fixtures of the Python tests.

The demo's PyTorch models take seconds to export, so their ONNX bytes are cached in pytest's
cache directory, keyed by the torch version and the demo's source; a changed demo re-exports.
"""

from __future__ import annotations

import hashlib
import pathlib
import sys

import onnxruntime as ort
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import models  # noqa: E402


@pytest.fixture(scope="session")
def demo_module():
    return models.load_demo()


@pytest.fixture(scope="session")
def demo_models(request, demo_module):
    """{name: (onnx bytes, example input as numpy, torch output as numpy)}."""
    import torch

    source = (models.REPO / "examples/python/demo.py").read_bytes()
    key = hashlib.sha256(source + torch.__version__.encode()).hexdigest()[:16]
    cache = pathlib.Path(request.config.cache.mkdir("onnxrt-demo-models")) / key
    cache.mkdir(exist_ok=True)
    out = {}
    for name, model, example in demo_module.demo_models():
        path = cache / f"{name}.onnx"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(demo_module.export_bytes(model, example))
            tmp.replace(path)
        with torch.no_grad():
            expected = model(example).numpy()
        out[name] = (path.read_bytes(), example.numpy(), expected)
    return out


@pytest.fixture
def ort_run():
    """Runs a model (ModelProto or bytes) on onnxruntime: ort_run(model, feeds) -> outputs."""

    def run(model, feeds, output_names=None):
        data = model if isinstance(model, bytes) else model.SerializeToString()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        return sess.run(output_names, feeds)

    return run

