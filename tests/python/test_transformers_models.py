"""transformers models built from small configs (random weights, no downloads), exported with
torch.onnx.export(dynamo=True) the way users export them, on onnxrt against onnxruntime and eager
PyTorch: GPT-2 (Conv1D projections as Gemm, tanh GELU written out, a causal additive mask),
Llama (RMSNorm, rotary embeddings, grouped-query attention), BERT (padding mask) and ViT. With
static shapes and with dynamic batch and sequence dims each attention must become one
FusedAttention (torch's scaled_dot_product_attention decomposition), and the dynamic exports must
match on several sizes. Each export takes a few seconds, so there is one per model and shape mode.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("onnxscript")

import onnx  # noqa: E402

import onnxrt  # noqa: E402
from torch_zoo import unit_scale_weights  # noqa: E402

TEXT = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)


class LastHidden(torch.nn.Module):
    def __init__(self, model, image=False):
        super().__init__()
        self.model, self.image = model, image

    def forward(self, x):
        if self.image:
            return self.model(pixel_values=x).last_hidden_state
        return self.model(input_ids=x, use_cache=False).last_hidden_state


def build(name):
    torch.manual_seed(0)
    if name == "gpt2":
        m = transformers.GPT2Model(transformers.GPT2Config(vocab_size=1000, n_embd=64, n_layer=2, n_head=4,
                                                           n_positions=128))
    elif name == "llama":
        m = transformers.LlamaModel(transformers.LlamaConfig(vocab_size=1000, num_key_value_heads=2, **TEXT))
    elif name == "bert":
        m = transformers.BertModel(transformers.BertConfig(vocab_size=1000, **TEXT))
    else:
        m = transformers.ViTModel(transformers.ViTConfig(image_size=32, patch_size=8, **TEXT))
        return LastHidden(unit_scale_weights(m), image=True).eval()
    return LastHidden(unit_scale_weights(m)).eval()


def example(name, batch, seq, seed=0):
    g = torch.Generator().manual_seed(seed)
    if name == "vit":
        return torch.randn(batch, 3, 32, 32, generator=g)
    return torch.randint(0, 1000, (batch, seq), generator=g)


def export(model, x, dynamic):
    shapes = None
    if dynamic:
        dims = {0: torch.export.Dim("batch", min=1, max=16)}
        if x.dim() == 2:
            dims[1] = torch.export.Dim("seq", min=2, max=64)
        shapes = (dims,)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (x,), dynamo=True, opset_version=18, dynamic_shapes=shapes,
                                    verbose=False)
    return program.model_proto


def fused_attention_count(proto, tmp_path) -> int:
    """FusedAttention nodes in the graph as onnxrt optimizes it."""
    so = onnxrt.SessionOptions()
    so.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    onnxrt.InferenceSession(proto.SerializeToString(), so)
    return sum(n.op_type == "FusedAttention" for n in onnx.load(so.optimized_model_filepath).graph.node)


@pytest.mark.parametrize("name", ["gpt2", "llama", "bert", "vit"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_transformers_export_matches_torch_and_onnxruntime(name, dynamic, ort_run, tmp_path):
    model = build(name)
    x = example(name, 2, 16)
    proto = export(model, x, dynamic)
    sess = onnxrt.InferenceSession(proto.SerializeToString())
    input_name = sess.get_inputs()[0].name
    sizes = [(2, 16), (1, 5), (3, 33)] if dynamic else [(2, 16)]
    for batch, seq in sizes:
        xi = example(name, batch, seq, seed=batch * 100 + seq)
        feeds = {input_name: xi.numpy()}
        got = sess.run(None, feeds)[0]
        with torch.no_grad():
            want = model(xi).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5)
        np.testing.assert_allclose(got, ort_run(proto, feeds)[0], rtol=1e-4, atol=2e-5)
    # Every layer's attention is one node, with dynamic dims too (the heads dim of Q, K and V and
    # the mask's query dim must come out as the same symbols: ir::InferContext::derived_dim).
    assert fused_attention_count(proto, tmp_path) == 2
