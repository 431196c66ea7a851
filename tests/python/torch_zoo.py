"""Tiny plain-PyTorch models for the torch.compile(backend="onnxrt") and torch.onnx.export tests.

Each model is the smallest instance of a common architecture block (a few thousand weights), so
that a torch.onnx export costs well under a second: the point is which ops and graph shapes the
exporter and onnxrt meet, not the sizes. ``ZOO`` maps a name to (builder, example-input maker);
the maker takes the batch size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(16, 32), nn.Linear(32, 32), nn.Linear(32, 8)

    def forward(self, x):
        return self.fc3(F.gelu(self.fc2(torch.relu(self.fc1(x)))))


class SmallCNN(nn.Module):
    """Conv, BatchNorm (folded into the conv by onnxrt), max and adaptive average pooling."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = torch.relu(self.bn2(self.conv2(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


def _conv_bn(cin, cout, kernel, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """ResNet-18/34 block with a strided 1x1 projection shortcut."""

    def __init__(self, cin=8, cout=16, stride=2):
        super().__init__()
        self.a, self.b = _conv_bn(cin, cout, 3, stride), _conv_bn(cout, cout, 3)
        self.shortcut = _conv_bn(cin, cout, 1, stride)

    def forward(self, x):
        return torch.relu(self.b(torch.relu(self.a(x))) + self.shortcut(x))


class Bottleneck(nn.Module):
    """ResNet-50 block: 1x1 reduce, 3x3, 1x1 expand, identity shortcut."""

    def __init__(self, channels=16, width=4):
        super().__init__()
        self.reduce, self.conv = _conv_bn(channels, width, 1), _conv_bn(width, width, 3)
        self.expand = _conv_bn(width, channels, 1)

    def forward(self, x):
        h = torch.relu(self.reduce(x))
        h = torch.relu(self.conv(h))
        return torch.relu(self.expand(h) + x)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand + ReLU6, depthwise 3x3 + ReLU6, linear 1x1 projection, residual."""

    def __init__(self, channels=8, expand=4):
        super().__init__()
        hidden = channels * expand
        self.body = nn.Sequential(
            _conv_bn(channels, hidden, 1), nn.ReLU6(),
            _conv_bn(hidden, hidden, 3, groups=hidden), nn.ReLU6(),
            _conv_bn(hidden, channels, 1),
        )

    def forward(self, x):
        return x + self.body(x)


class InvertedResidualStack(nn.Module):
    """A small MobileNetV2: a stride-2 stem, three inverted residual blocks (the second with stride 2
    and more channels), a 1x1 head, global pooling and a classifier. Its chain of pointwise and
    depthwise convs is long enough for onnxrt to run it in the channel-blocked layout
    (passes/block_channels.cc)."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, stride, expand=4):
            hidden = cin * expand
            return nn.Sequential(
                _conv_bn(cin, hidden, 1), nn.ReLU6(),
                _conv_bn(hidden, hidden, 3, stride=stride, groups=hidden), nn.ReLU6(),
                _conv_bn(hidden, cout, 1),
            )

        self.stem = nn.Sequential(_conv_bn(3, 16, 3, stride=2), nn.ReLU6())
        self.b1, self.b2, self.b3 = block(16, 16, 1), block(16, 24, 2), block(24, 24, 1)
        self.head = nn.Sequential(_conv_bn(24, 64, 1), nn.ReLU6())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = self.stem(x)
        h = h + self.b1(h)
        h = self.b2(h)
        h = h + self.b3(h)
        return self.fc(self.head(h).mean((2, 3)))


class MBConvSiLU(nn.Module):
    """EfficientNet block: 1x1 expand + SiLU, depthwise 3x3 + SiLU, squeeze-excite (SiLU, then a
    sigmoid gate), linear 1x1 projection, residual. torch exports each SiLU as Sigmoid + Mul, which
    onnxrt rewrites into one Swish node (passes/collapse_activations.cc)."""

    def __init__(self, channels=8, expand=4):
        super().__init__()
        hidden = channels * expand
        self.expand = _conv_bn(channels, hidden, 1)
        self.dw = _conv_bn(hidden, hidden, 3, groups=hidden)
        self.se_reduce, self.se_expand = nn.Conv2d(hidden, 4, 1), nn.Conv2d(4, hidden, 1)
        self.project = _conv_bn(hidden, channels, 1)

    def forward(self, x):
        h = F.silu(self.expand(x))
        h = F.silu(self.dw(h))
        s = h.mean((2, 3), keepdim=True)
        h = h * torch.sigmoid(self.se_expand(F.silu(self.se_reduce(s))))
        return x + self.project(h)


class Conv3dBlock(nn.Module):
    """A 3-D UNet / C3D style block: 3x3x3 Conv3d + BatchNorm3d + ReLU twice with a residual, then
    MaxPool3d. The second conv (48 stacked depth-slice channels) takes the Winograd path."""

    def __init__(self, cin=4, cout=16):
        super().__init__()
        self.a = nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU())
        self.b = nn.Sequential(nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout))
        self.pool = nn.MaxPool3d(2)

    def forward(self, x):
        h = self.a(x)
        return self.pool(torch.relu(self.b(h) + h))


def transformer_encoder_layer():
    return nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)


class CausalDecoderBlock(nn.Module):
    """GPT-2 style pre-norm block: LayerNorm, causal self-attention, LayerNorm, GELU MLP."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.up, self.down = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, c))
        return x + self.down(F.gelu(self.up(self.ln2(x)), approximate="tanh"))


class LSTMTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out)


class DataDependentBranch(nn.Module):
    """``if`` on a tensor's value: TorchDynamo breaks the graph there (two graphs), torch.export
    refuses it. The zoo's inputs are positive, so every batch takes the first branch."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        h = self.a(x)
        if x.sum() > 0:
            return self.b(h).relu()
        return self.b(-h)


ZOO = {
    "mlp": (MLP, lambda n: (torch.randn(n, 16),)),
    "cnn": (SmallCNN, lambda n: (torch.randn(n, 3, 12, 12),)),
    "resnet_basic": (BasicBlock, lambda n: (torch.randn(n, 8, 8, 8),)),
    "resnet_bottleneck": (Bottleneck, lambda n: (torch.randn(n, 16, 6, 6),)),
    "mobilenetv2_block": (InvertedResidual, lambda n: (torch.randn(n, 8, 6, 6),)),
    "mobilenetv2_stack": (InvertedResidualStack, lambda n: (torch.randn(n, 3, 20, 20),)),
    "efficientnet_block": (MBConvSiLU, lambda n: (torch.randn(n, 8, 6, 6),)),
    "conv3d_block": (Conv3dBlock, lambda n: (torch.randn(n, 4, 4, 10, 10),)),
    "transformer_encoder": (transformer_encoder_layer, lambda n: (torch.randn(n, 5, 16),)),
    "gpt_block": (CausalDecoderBlock, lambda n: (torch.randn(n, 6, 16),)),
    "lstm": (LSTMTagger, lambda n: (torch.randn(n, 5, 8),)),
    "graph_break": (DataDependentBranch, lambda n: (torch.rand(n, 8) + 0.1,)),
}


def build(name: str, seed: int = 0) -> nn.Module:
    """The model ``name`` in eval mode, with seeded weights and non-trivial BatchNorm statistics
    (fresh ones are mean 0, variance 1, which would hide a wrong fold)."""
    torch.manual_seed(seed)
    model = ZOO[name][0]()
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


def unit_scale_weights(model: nn.Module) -> nn.Module:
    """Redraws every weight matrix and kernel with std 1/sqrt(fan-in), in place. transformers
    initializes with std 0.02, which leaves every attention nearly uniform: a wrong score or mask
    would hardly move the output. At this scale activations and attention scores stay near unit
    size. Biases and norm weights (1-D) are kept."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, p[0].numel() ** -0.5)
    return model


def inputs(name: str, batch: int, seed: int = 1) -> tuple[torch.Tensor, ...]:
    torch.manual_seed(seed + batch)
    return ZOO[name][1](batch)
