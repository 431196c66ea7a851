"""More transformers families, from tiny configs (random weights, no downloads), through both of
torch.onnx's exporters, on onnxrt against eager PyTorch and onnxruntime. Each family brings graph
patterns the GPT-2 / Llama / BERT / ViT tests (test_transformers_models.py) lack (what the dynamo
exporter writes; it folds what depends only on shapes, such as T5's position buckets):

- T5: RMSNorm written out (Pow, ReduceMean, Sqrt, Reciprocal), bias-free projections,
  cross-attention;
- BART: learned positions, encoder-decoder with a causal decoder;
- DeBERTa-v2: disentangled attention, GatherElements of relative-position scores on the last axis;
- Swin: window partitions as Reshape / Transpose chains, a shifted-window block (Slice + Concat),
  padding, patch merging;
- SegFormer: attention over spatially reduced keys, depthwise 3x3 conv inside the MLP;
- MobileViT: convolutions and attention over unfolded patches;
- WavLM: a 1-D conv feature extractor, gated relative position bias;
- Mamba: the selective scan, unrolled;
- Bloom: ALiBi biases; GPT-NeoX: partial rotary; Gemma 2: attention soft-capping (Tanh);
- Funnel: pooled attention (AveragePool, GatherElements, ScatterND); XLNet: attention as Einsum.

A scan of 45 families (twenty-fifth session, a scratch script) found no mismatch; these guard the
ones with patterns of their own. Exports take 2-14 s (dynamo) or under 2 s (TorchScript).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("onnxscript")

import onnxrt  # noqa: E402
from torch_zoo import unit_scale_weights  # noqa: E402

SMALL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)
ENC_DEC = dict(d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
               decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128)


def _build(name):
    """(model, input kind) for a family."""
    t = transformers
    if name == "t5":
        return t.T5Model(t.T5Config(vocab_size=1000, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4)), "encdec"
    if name == "bart":
        return t.BartModel(t.BartConfig(vocab_size=1000, **ENC_DEC)), "encdec"
    if name == "deberta_v2":
        return t.DebertaV2Model(t.DebertaV2Config(vocab_size=1000, relative_attention=True, position_buckets=16,
                                                  pos_att_type=["p2c", "c2p"], **SMALL)), "ids"
    if name == "swin":
        return t.SwinModel(t.SwinConfig(image_size=32, patch_size=4, embed_dim=16, depths=[2, 1], num_heads=[2, 4],
                                        window_size=4)), "image"
    if name == "segformer":
        return t.SegformerModel(t.SegformerConfig(num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1],
                                                  hidden_sizes=[16, 32], num_attention_heads=[1, 2],
                                                  patch_sizes=[7, 3], strides=[4, 2])), "image"
    if name == "mobilevit":
        return t.MobileViTModel(t.MobileViTConfig(image_size=32, hidden_sizes=[32, 32, 32],
                                                  neck_hidden_sizes=[8, 8, 16, 16, 16, 16, 32])), "image"
    if name == "wavlm":
        return t.WavLMModel(t.WavLMConfig(conv_dim=(32, 32), conv_stride=(5, 2), conv_kernel=(10, 3),
                                          num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
                                          num_buckets=32, **SMALL)), "audio"
    if name == "mamba":
        return t.MambaModel(t.MambaConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, state_size=8)), "ids"
    if name == "bloom":
        return t.BloomModel(t.BloomConfig(vocab_size=1000, hidden_size=64, n_layer=2, n_head=4)), "ids"
    if name == "gpt_neox":
        return t.GPTNeoXModel(t.GPTNeoXConfig(vocab_size=1000, rotary_pct=0.5, **SMALL)), "ids"
    if name == "gemma2":
        return t.Gemma2Model(t.Gemma2Config(vocab_size=1000, num_key_value_heads=2, head_dim=16, **SMALL)), "ids"
    if name == "funnel":
        return t.FunnelModel(t.FunnelConfig(vocab_size=1000, block_sizes=[1, 1], d_model=64, n_head=4, d_head=16,
                                            d_inner=128)), "ids"
    if name == "xlnet":
        return t.XLNetModel(t.XLNetConfig(vocab_size=1000, d_model=64, n_layer=2, n_head=4, d_inner=128)), "ids"
    raise KeyError(name)


class LastHidden(torch.nn.Module):
    def __init__(self, model, kind):
        super().__init__()
        self.model, self.kind = model, kind

    def forward(self, *x):
        if self.kind == "image":
            return self.model(pixel_values=x[0]).last_hidden_state
        if self.kind == "audio":
            return self.model(input_values=x[0]).last_hidden_state
        if self.kind == "encdec":
            return self.model(input_ids=x[0], decoder_input_ids=x[1], use_cache=False).last_hidden_state
        return self.model(input_ids=x[0]).last_hidden_state


def _inputs(kind):
    g = torch.Generator().manual_seed(0)
    if kind == "image":
        return (torch.randn(2, 3, 32, 32, generator=g),)
    if kind == "audio":
        return (torch.randn(2, 800, generator=g),)
    if kind == "encdec":
        return (torch.randint(2, 1000, (2, 12), generator=g), torch.randint(2, 1000, (2, 7), generator=g))
    return (torch.randint(2, 1000, (2, 16), generator=g),)


# The TorchScript exporter stops at aten::diff (transformers' causal masks) in these: dynamo only.
NO_TORCHSCRIPT = {"gpt_neox", "gemma2"}
FAMILIES = ["t5", "bart", "deberta_v2", "swin", "segformer", "mobilevit", "wavlm", "mamba", "bloom", "gpt_neox",
            "gemma2", "funnel", "xlnet"]


@pytest.mark.parametrize("exporter", ["dynamo", "torchscript"])
@pytest.mark.parametrize("name", FAMILIES)
def test_family_matches_torch_and_onnxruntime(name, exporter, ort_run, tmp_path):
    if exporter == "torchscript" and name in NO_TORCHSCRIPT:
        pytest.skip("torch.onnx's TorchScript exporter does not export this family")
    torch.manual_seed(0)
    model, kind = _build(name)
    model = LastHidden(unit_scale_weights(model).eval(), kind).eval()
    x = _inputs(kind)
    path = tmp_path / "model.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        want = model(*x).numpy()
        if exporter == "dynamo":
            torch.onnx.export(model, x, dynamo=True, opset_version=18, verbose=False).save(str(path))
        else:
            torch.onnx.export(model, x, str(path), dynamo=False, opset_version=17,
                              input_names=[f"x{i}" for i in range(len(x))])
    sess = onnxrt.InferenceSession(str(path))
    feeds = {i.name: v.numpy() for i, v in zip(sess.get_inputs(), x)}
    got = sess.run(None, feeds)[0]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(got, ort_run(path.read_bytes(), feeds)[0], rtol=1e-4, atol=2e-5)
