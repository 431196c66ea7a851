"""The benchmark model zoo, written in plain PyTorch or built from transformers configs (random
weights, fixed seeds, no downloads).

Each entry builds a model and example inputs; export() turns it into an ONNX file with
torch.onnx.export(dynamo=True) and caches it under benchmarks/.cache/ keyed by name and opset.
Entries of kind "sklearn" (the tree ensembles) instead train a scikit-learn model on synthetic
data and convert it with skl2onnx; their build() returns the ONNX bytes and inputs() numpy arrays.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

import zoo_extra  # noqa: E402  (beside this file: every importer puts benchmarks/models on sys.path)

CACHE = Path(__file__).resolve().parents[1] / ".cache"
OPSET = 18


# --- MLP of the torch.onnx documentation ----------------------------------------------------------
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc0, self.fc1, self.fc2, self.fc3 = nn.Linear(8, 8), nn.Linear(8, 4), nn.Linear(4, 2), nn.Linear(2, 2)

    def forward(self, x):
        x = torch.sigmoid(self.fc0(x))
        x = torch.sigmoid(self.fc1(x))
        x = torch.sigmoid(self.fc2(x))
        return self.fc3(x)


# --- a small CNN -----------------------------------------------------------------------------------
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(3, 16), block(16, 32))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


# --- ResNet-50 (He et al. 2015, v1.5: stride on the 3x3) ------------------------------------------
class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return torch.relu(y + (self.down(x) if self.down is not None else x))


class ResNet50(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 64
        for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(blocks):
                layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


# --- MobileNetV2 (Sandler et al. 2018) -------------------------------------------------------------
class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()]
        cin = 32
        for t, c, n, s in cfg:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [nn.Conv2d(cin, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(1280, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


# --- An EfficientNet-B0-style CNN: MBConv blocks with squeeze-excite and SiLU -----------------------
# Not in the default suite (EXTRA below): written to check what torch's SiLU export (Sigmoid and
# Mul) costs us (performance_notes.md, "A model outside the zoo").
class MBConv(nn.Module):
    def __init__(self, cin, cout, k, stride, expand):
        super().__init__()
        mid = cin * expand
        self.expand = (nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU())
                       if expand != 1 else nn.Identity())
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid),
                                nn.SiLU())
        squeeze = max(1, cin // 4)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, squeeze, 1), nn.SiLU(),
                                nn.Conv2d(squeeze, mid, 1), nn.Sigmoid())
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.dw(self.expand(x))
        y = self.project(y * self.se(y))
        return x + y if self.residual else y


class EfficientNetStyle(nn.Module):
    # (in, out, kernel, stride, expansion) per block
    CFG = [(32, 16, 3, 1, 1), (16, 24, 3, 2, 6), (24, 24, 3, 1, 6), (24, 40, 5, 2, 6), (40, 40, 5, 1, 6),
           (40, 80, 3, 2, 6), (80, 80, 3, 1, 6), (80, 112, 5, 1, 6), (112, 192, 5, 2, 6), (192, 192, 5, 1, 6),
           (192, 320, 3, 1, 6)]

    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.SiLU())
        self.blocks = nn.Sequential(*[MBConv(*c) for c in self.CFG])
        self.head = nn.Sequential(nn.Conv2d(320, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.SiLU())
        self.fc = nn.Linear(1280, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


# --- Transformer encoders (BERT-style) and a GPT-2-style decoder ----------------------------------
class EncoderLayer(nn.Module):
    """Post-norm BERT layer written out (nn.TransformerEncoderLayer exports a fused fast path)."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)
        self.ln2 = nn.LayerNorm(d)

    def attention(self, x, causal):
        b, s, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q, k, v = (t.reshape(b, s, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        if causal:
            mask = torch.ones(s, s, dtype=torch.bool).tril()
            scores = scores.masked_fill(~mask, float("-inf"))
        y = torch.softmax(scores, dim=-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, s, d))

    def forward(self, x):
        x = self.ln1(x + self.attention(x, causal=False))
        return self.ln2(x + self.ff2(nn.functional.gelu(self.ff1(x))))


class BertEncoder(nn.Module):
    def __init__(self, layers=12, d=768, heads=12, ff=3072, vocab=30522, max_len=512):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.ln = nn.LayerNorm(d)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ff) for _ in range(layers))

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.ln(self.tok(ids) + self.pos(pos))
        for layer in self.layers:
            x = layer(x)
        return x


class GPT2Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = EncoderLayer(d, heads, 4 * d)  # reuses the attention weights and code
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn.attention(self.ln1(x), causal=True)
        return x + self.mlp(self.ln2(x))


class GPT2(nn.Module):
    """GPT-2 small (124M): 12 pre-norm causal blocks, tied embeddings; prefill of a prompt."""

    def __init__(self, layers=12, d=768, heads=12, vocab=50257, max_len=1024):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(max_len, d)
        self.blocks = nn.ModuleList(GPT2Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.wte(ids) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()


class GPT2Decode(GPT2):
    """One decode step of GPT-2 small: a new token attends to itself and a KV cache of `past`
    tokens per layer (past_k, past_v: [layers, batch, heads, past, head_dim]); returns the
    logits and the grown cache, as a generation loop would feed it back."""

    def forward(self, ids, past_k, past_v):
        past = past_k.shape[3]
        x = self.wte(ids) + self.wpe(torch.arange(past, past + ids.shape[1]).unsqueeze(0))
        new_k, new_v = [], []
        for i, block in enumerate(self.blocks):
            layer = block.attn
            h = block.ln1(x)
            b, s, d = h.shape
            heads = layer.heads
            q, k, v = layer.qkv(h).split(d, dim=-1)
            q, k, v = (t.reshape(b, s, heads, d // heads).transpose(1, 2) for t in (q, k, v))
            k = torch.cat([past_k[i], k], dim=2)
            v = torch.cat([past_v[i], v], dim=2)
            new_k.append(k)
            new_v.append(v)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1) @ v
            x = x + layer.out(att.transpose(1, 2).reshape(b, s, d))
            x = x + block.mlp(block.ln2(x))
        return self.ln_f(x) @ self.wte.weight.t(), torch.stack(new_k), torch.stack(new_v)


def _decode_inputs():
    return (torch.randint(0, 50257, (1, 1)), torch.randn(12, 1, 12, 128, 64), torch.randn(12, 1, 12, 128, 64))


class LSTMModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(128, 256, num_layers=2, batch_first=True)
        self.head = nn.Linear(256, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y[:, -1])


# --- transformers models built from their configs (random weights, no hub access) -----------------
# What users export most: the library's own attention (torch's scaled_dot_product_attention
# decomposition), GPT-2's Conv1D projections (Gemm) and tanh GELU, Llama's RMSNorm, rotary
# embeddings and grouped-query attention. The models above are our own PyTorch and export
# differently.
class _LastHidden(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):
        return self.model(input_ids=ids, use_cache=False).last_hidden_state


def hf_gpt2():
    """transformers GPT2Model with GPT-2 small's config (124M parameters)."""
    import transformers

    return _LastHidden(transformers.GPT2Model(transformers.GPT2Config()))


def hf_llama():
    """transformers LlamaModel, 4 layers of width 512, 8 query and 4 key/value heads."""
    import transformers

    config = transformers.LlamaConfig(vocab_size=32000, hidden_size=512, intermediate_size=1408, num_hidden_layers=4,
                                      num_attention_heads=8, num_key_value_heads=4)
    return _LastHidden(transformers.LlamaModel(config))


# --- tree ensembles: scikit-learn models converted with skl2onnx (ai.onnx.ml) ---------------------
def _tree_data():
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=5000, n_features=20, n_informative=12, n_classes=3, random_state=0)
    return x.astype("float32"), y


def _sklearn_to_onnx(model) -> bytes:
    import skl2onnx

    x, y = _tree_data()
    model.fit(x[:4000], y[:4000])
    last = model.steps[-1][1] if hasattr(model, "steps") else model  # a Pipeline's classifier
    return skl2onnx.to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3},
                            options={id(last): {"zipmap": False}}).SerializeToString()


def random_forest():
    """100 trees of depth 10 on 20 features, 3 classes."""
    from sklearn.ensemble import RandomForestClassifier

    return _sklearn_to_onnx(RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0, n_jobs=1))


def gradient_boosting():
    """100 boosting rounds of depth-5 trees, 3 classes: 300 trees."""
    from sklearn.ensemble import GradientBoostingClassifier

    return _sklearn_to_onnx(GradientBoostingClassifier(n_estimators=100, max_depth=5, random_state=0))


# Other scikit-learn classifiers on the same data (EXTRA, outside the suite): each is a different
# converter path, checked against onnxruntime by run.py.
def support_vector_machine():
    """RBF SVC with probabilities (Platt scaling and pairwise coupling), 3 classes: SVMClassifier."""
    from sklearn.svm import SVC

    return _sklearn_to_onnx(SVC(probability=True, random_state=0))


def nearest_neighbours():
    """5 nearest of 4000 training rows: skl2onnx's pairwise-distance Scan, TopK and a vote."""
    from sklearn.neighbors import KNeighborsClassifier

    return _sklearn_to_onnx(KNeighborsClassifier(5))


def logistic_regression():
    """StandardScaler then multinomial LogisticRegression: Scaler and LinearClassifier."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return _sklearn_to_onnx(make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)))


def mlp_classifier():
    """Two hidden layers of 100: MatMul, Add, Relu and a Softmax in plain ONNX."""
    from sklearn.neural_network import MLPClassifier

    return _sklearn_to_onnx(MLPClassifier((100, 100), max_iter=200, random_state=0))


def _tree_rows(batch):
    return lambda: (_tree_data()[0][4000:4000 + batch],)  # rows the model was not trained on


@dataclass
class Entry:
    name: str
    build: Callable[[], nn.Module]  # kind "sklearn": returns the ONNX bytes
    inputs: Callable[[], tuple]
    kind: str = "torch"  # "sklearn" / "onnx": build() returns the ONNX bytes


# --- quantized models (outside issue #8's suite; run.py reports them in a table of their own) ------
def _quantized(base: str, mode: str) -> Callable[[], bytes]:
    """A zoo model through onnxruntime.quantization, as users quantize: mode "dynamic" is
    quantize_dynamic (int8 weights; DynamicQuantizeLinear + MatMulInteger), "qdq" quantize_static in
    the QDQ format (uint8 activations, int8 weights) calibrated on 8 seeded random inputs."""

    def build() -> bytes:
        import logging
        import tempfile

        from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                              quantize_static)

        logging.getLogger().setLevel(logging.ERROR)  # the quantizer's "run pre-processing" advice
        entry = BY_NAME[base]
        src, _ = export(entry)
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "q.onnx"
            if mode == "dynamic":
                quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8)
            else:
                import onnx

                name = onnx.load(str(src), load_external_data=False).graph.input[0].name

                class Calibration(CalibrationDataReader):
                    def __init__(self):
                        self.seed = 0

                    def get_next(self):
                        self.seed += 1
                        if self.seed > 8:
                            return None
                        torch.manual_seed(100 + self.seed)
                        return {name: entry.inputs()[0].numpy()}

                quantize_static(str(src), str(out), Calibration(), quant_format=QuantFormat.QDQ,
                                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
            return out.read_bytes()

    build.__name__ = f"{base}_{mode}"
    return build


def qlinearconv_chain() -> bytes:
    """Six QLinearConv nodes in plain ONNX (the QOperator format without onnxruntime's contrib ops):
    3x3 stem, 3x3 stride 2, 1x1, 3x3 depthwise, 1x1, 3x3 stride 2, on a 112x112 image; uint8
    activations, int8 weights with per-channel scales, int32 biases; seeded random weights."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    layers = [(3, 32, 3, 1, 1), (32, 64, 3, 2, 1), (64, 64, 1, 1, 1), (64, 64, 3, 1, 64), (64, 128, 1, 1, 1),
              (128, 128, 3, 2, 1)]
    inits = [numpy_helper.from_array(np.array(0.02, np.float32), "s"), numpy_helper.from_array(np.array(128, np.uint8), "z")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q0"])]
    for i, (ci, co, k, stride, group) in enumerate(layers):
        inits += [numpy_helper.from_array(rng.integers(-127, 128, (co, ci // group, k, k)).astype(np.int8), f"w{i}"),
                  numpy_helper.from_array((rng.random(co) * 0.002 + 0.0005).astype(np.float32), f"ws{i}"),
                  numpy_helper.from_array(np.zeros(co, np.int8), f"wz{i}"),
                  numpy_helper.from_array(rng.integers(-2000, 2000, co).astype(np.int32), f"b{i}")]
        nodes.append(helper.make_node("QLinearConv", [f"q{i}", "s", "z", f"w{i}", f"ws{i}", f"wz{i}", "s", "z", f"b{i}"],
                                      [f"q{i + 1}"], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4,
                                      group=group))
    nodes.append(helper.make_node("DequantizeLinear", [f"q{len(layers)}", "s", "z"], ["y"]))
    graph = helper.make_graph(nodes, "qlinearconv_chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 112, 112])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=9).SerializeToString()


def _images(batch, size=224):
    return lambda: (torch.randn(batch, 3, size, size),)


ZOO = [
    Entry("mlp", MLP, lambda: (torch.randn(97, 8),)),
    Entry("small_cnn", SmallCNN, _images(1, 32)),
    Entry("resnet50_b1", ResNet50, _images(1)),
    Entry("resnet50_b8", ResNet50, _images(8)),
    Entry("mobilenetv2_b1", MobileNetV2, _images(1)),
    Entry("bert_base_s128", BertEncoder, lambda: (torch.randint(0, 30522, (1, 128)),)),
    Entry("transformer_2layer_s128", lambda: BertEncoder(layers=2, d=256, heads=4, ff=1024), lambda: (torch.randint(0, 30522, (1, 128)),)),
    Entry("gpt2_prefill_s128", GPT2, lambda: (torch.randint(0, 50257, (1, 128)),)),
    Entry("gpt2_decode_kv128", GPT2Decode, _decode_inputs),
    Entry("hf_gpt2_s128", hf_gpt2, lambda: (torch.randint(0, 50257, (1, 128)),)),
    Entry("hf_llama_s128", hf_llama, lambda: (torch.randint(0, 32000, (1, 128)),)),
    Entry("lstm_2layer", LSTMModel, lambda: (torch.randn(4, 32, 128),)),
    Entry("forest_b1", random_forest, _tree_rows(1), "sklearn"),
    Entry("forest_b1000", random_forest, _tree_rows(1000), "sklearn"),
    Entry("gboost_b1", gradient_boosting, _tree_rows(1), "sklearn"),
    Entry("gboost_b1000", gradient_boosting, _tree_rows(1000), "sklearn"),
]
def _graph_inputs():
    g = torch.Generator().manual_seed(3)
    return (torch.randn(2000, 64, generator=g), torch.randint(0, 2000, (10000,), generator=g),
            torch.randint(0, 2000, (10000,), generator=g))


# Models outside the default suite (run.py's tables); run.py --models and back_to_back.py take them.
EXTRA = [
    Entry("effnet_style_b1", EfficientNetStyle, _images(1)),
    Entry("yolo_style_b1", zoo_extra.YoloStyle, _images(1, 320)),
    Entry("convnext_style_b1", zoo_extra.ConvNeXtStyle, _images(1)),
    Entry("vit_style_b1", zoo_extra.ViTStyle, _images(1)),
    Entry("hf_whisper_encoder", zoo_extra.hf_whisper_encoder, lambda: (torch.randn(1, 80, 3000),)),
    Entry("hf_wav2vec2_1s", zoo_extra.hf_wav2vec2, lambda: (torch.randn(1, 16000),)),
    Entry("svc_b1", support_vector_machine, _tree_rows(1), "sklearn"),
    Entry("svc_b1000", support_vector_machine, _tree_rows(1000), "sklearn"),
    Entry("knn_b1", nearest_neighbours, _tree_rows(1), "sklearn"),
    Entry("knn_b1000", nearest_neighbours, _tree_rows(1000), "sklearn"),
    Entry("logreg_b1000", logistic_regression, _tree_rows(1000), "sklearn"),
    Entry("mlp_clf_b1000", mlp_classifier, _tree_rows(1000), "sklearn"),
    Entry("rnn_2layer_b8", zoo_extra.SimpleRNN, lambda: (torch.randn(8, 100, 64),)),
    Entry("gcn_2000_nodes", zoo_extra.GraphConv, _graph_inputs),
    Entry("c3d_b1", zoo_extra.C3D, lambda: (torch.randn(1, 3, 8, 56, 56),)),
    Entry("detection_head", zoo_extra.DetectionHead, lambda: (torch.randn(1, 64, 40, 40),)),
    Entry("mamba_style_s256", zoo_extra.MambaStyle, lambda: (torch.randn(1, 256, 256),)),
    Entry("conformer_4s", zoo_extra.Conformer, lambda: (torch.randn(1, 1, 400, 80),)),
    Entry("unet3d_32cube", zoo_extra.UNet3D, lambda: (torch.randn(1, 1, 32, 32, 32),)),
    Entry("seg_head_256", zoo_extra.SegHead2D, lambda: (torch.randn(1, 3, 256, 256),)),
    Entry("dcgan_generator_b1", zoo_extra.DCGANGenerator, lambda: (torch.randn(1, 100, 1, 1),)),
    Entry("diffusion_unet_32", zoo_extra.DiffusionUNetStyle, lambda: (torch.randn(1, 4, 32, 32), torch.tensor([500.0]))),
    Entry("resnext_style_b1", zoo_extra.ResNeXtStyle, _images(1)),
    Entry("hf_t5_small_s128", zoo_extra.hf_t5_small, lambda: (torch.randint(2, 32000, (1, 128)),
                                                               torch.randint(2, 32000, (1, 32)))),
    Entry("hf_distilbert_s128", zoo_extra.hf_distilbert, lambda: (torch.randint(2, 30000, (1, 128)),)),
    Entry("hf_deberta_v3_small_s128", zoo_extra.hf_deberta_v3_small, lambda: (torch.randint(2, 128000, (1, 128)),)),
    Entry("hf_swin_tiny_b1", zoo_extra.hf_swin_tiny, _images(1)),
    Entry("hf_segformer_b0_512", zoo_extra.hf_segformer_b0, _images(1, 512)),
    Entry("hf_dinov2_small_b1", zoo_extra.hf_dinov2_small, _images(1)),
]
# Quantized models: run.py runs them after ZOO and reports them in their own table.
def _inputs_of(base: str) -> Callable[[], tuple]:
    return lambda: BY_NAME[base].inputs()


QUANTIZED = [
    Entry("transformer_2layer_s128_qdyn", _quantized("transformer_2layer_s128", "dynamic"),
          _inputs_of("transformer_2layer_s128"), "onnx"),
    Entry("bert_base_s128_qdyn", _quantized("bert_base_s128", "dynamic"), _inputs_of("bert_base_s128"), "onnx"),
    Entry("gpt2_prefill_s128_qdyn", _quantized("gpt2_prefill_s128", "dynamic"), _inputs_of("gpt2_prefill_s128"), "onnx"),
    Entry("gpt2_decode_kv128_qdyn", _quantized("gpt2_decode_kv128", "dynamic"), _inputs_of("gpt2_decode_kv128"), "onnx"),
    Entry("mobilenetv2_b1_qdq", _quantized("mobilenetv2_b1", "qdq"), _inputs_of("mobilenetv2_b1"), "onnx"),
    Entry("resnet50_b1_qdq", _quantized("resnet50_b1", "qdq"), _inputs_of("resnet50_b1"), "onnx"),
    Entry("qlinearconv_chain_b1", qlinearconv_chain, _images(1, 112), "onnx"),
]


# --- float16 models (outside issue #8's suite; run.py reports them in a table of their own) -------
def _half(base: str) -> Callable[[], bytes]:
    """A zoo model converted with .half() and exported as users export float16 models (dynamo,
    opset 18): float16 weights, inputs and outputs."""

    def build() -> bytes:
        import tempfile

        entry = BY_NAME[base]
        torch.manual_seed(0)
        model = entry.build().eval().half()
        with tempfile.TemporaryDirectory() as d, warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(model, _half_inputs(base)(), dynamo=True, opset_version=OPSET, verbose=False)
            program.save(str(Path(d) / "m.onnx"), external_data=False)
            return (Path(d) / "m.onnx").read_bytes()

    build.__name__ = f"{base}_fp16"
    return build


def _half_inputs(base: str) -> Callable[[], tuple]:
    return lambda: tuple(t.half() if t.is_floating_point() else t for t in BY_NAME[base].inputs())


HALF = [
    Entry(f"{base}_fp16", _half(base), _half_inputs(base), "onnx")
    for base in ("transformer_2layer_s128", "bert_base_s128", "gpt2_decode_kv128", "mobilenetv2_b1", "resnet50_b1")
]
BY_NAME = {e.name: e for e in ZOO + EXTRA + QUANTIZED + HALF}


def export(entry: Entry, opset: int = OPSET) -> tuple[Path, tuple]:
    """Exports (or reuses) the ONNX file of an entry; returns its path and the example inputs."""
    if entry.kind == "sklearn":
        import sklearn

        # One file per model (not per batch size), keyed by the scikit-learn version.
        path = CACHE / f"{entry.build.__name__}_skl{sklearn.__version__}.onnx"
        if not path.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            path.write_bytes(entry.build())
        return path, entry.inputs()
    if entry.kind == "onnx":
        import onnxruntime

        # Keyed by the onnxruntime version: its quantizer makes the quantized files (the float16
        # files share the scheme).
        path = CACHE / f"{entry.name}_ort{onnxruntime.__version__}.onnx"
        if not path.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            path.write_bytes(entry.build())
        torch.manual_seed(0)
        return path, tuple(t.numpy() for t in entry.inputs())
    torch.manual_seed(0)
    model = entry.build().eval()
    inputs = entry.inputs()
    path = CACHE / f"{entry.name}_op{opset}.onnx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(model, inputs, dynamo=True, opset_version=opset, verbose=False)
            program.save(str(path), external_data=False)
    return path, tuple(t.numpy() for t in inputs)
