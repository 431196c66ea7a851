"""Models outside issue #8's suite, for finding where onnxrt falls behind on what users export: a
YOLO-style detector (3x3 stride-2 convs, SiLU, SPPF max pools, nearest upsampling, concats), a
ConvNeXt-style classifier (7x7 depthwise convs, channels-last LayerNorm through permutes, GELU
MLPs), a ViT-style encoder (16x16 patch conv, pre-norm nn.TransformerEncoder) and, from
transformers configs, Whisper's audio encoder (1500 frames: long attention) and wav2vec2 (1-D conv
feature extractor). Random weights, no downloads; zoo.py lists them in EXTRA (run.py --models)."""

from __future__ import annotations

import torch
from torch import nn


def _cbs(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class YoloStyle(nn.Module):
    """A small YOLO-style backbone and neck: strided conv + BN + SiLU stages, SPPF, a 2x nearest
    upsample joined with a backbone feature, and an 85-channel detection conv."""

    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([_cbs(3, 16, 3, 2), _cbs(16, 32, 3, 2), _cbs(32, 32, 1), _cbs(32, 64, 3, 2),
                                     _cbs(64, 64, 1), _cbs(64, 128, 3, 2)])
        self.sppf_in, self.sppf_out = _cbs(128, 64, 1), _cbs(256, 128, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = _cbs(128 + 64, 64, 3)
        self.detect = nn.Conv2d(64, 85, 1)

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        p = self.sppf_in(x)
        y1 = nn.functional.max_pool2d(p, 5, 1, 2)
        y2 = nn.functional.max_pool2d(y1, 5, 1, 2)
        y3 = nn.functional.max_pool2d(y2, 5, 1, 2)
        x = self.sppf_out(torch.cat([p, y1, y2, y3], 1))
        return self.detect(self.head(torch.cat([self.up(x), feats[4]], 1)))


class _ConvNeXtBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.dw = nn.Conv2d(d, d, 7, padding=3, groups=d)
        self.ln = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.gamma = nn.Parameter(torch.full((d,), 0.1))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(nn.functional.gelu(self.fc1(self.ln(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


class ConvNeXtStyle(nn.Module):
    """Four stages of two ConvNeXt blocks, widths 48-384 (a narrow ConvNeXt-T)."""

    def __init__(self, dims=(48, 96, 192, 384)):
        super().__init__()
        layers = []
        for i, d in enumerate(dims):
            if i:
                layers += [nn.GroupNorm(1, dims[i - 1]), nn.Conv2d(dims[i - 1], d, 2, 2)]
            layers += [_ConvNeXtBlock(d), _ConvNeXtBlock(d)]
        self.stem = nn.Conv2d(3, dims[0], 4, 4)
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(dims[-1], 1000)

    def forward(self, x):
        return self.head(self.body(self.stem(x)).mean((2, 3)))


class ViTStyle(nn.Module):
    """ViT-S/16-like: 6 pre-norm layers of width 384, 6 heads, on 224x224 images."""

    def __init__(self, d=384, depth=6, heads=6):
        super().__init__()
        self.patch = nn.Conv2d(3, d, 16, 16)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, 197, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.head = nn.Linear(d, 1000)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(x.shape[0], -1, -1), t], 1) + self.pos
        return self.head(self.encoder(t)[:, 0])


class _LastHidden(nn.Module):
    def __init__(self, model, key):
        super().__init__()
        self.model, self.key = model, key

    def forward(self, x):
        return self.model(**{self.key: x}).last_hidden_state


def hf_whisper_encoder():
    """transformers Whisper encoder, 4 layers of width 384 (whisper-tiny's shape), 30 s of audio."""
    import transformers

    config = transformers.WhisperConfig(d_model=384, encoder_layers=4, encoder_attention_heads=6,
                                        encoder_ffn_dim=1536, num_mel_bins=80, max_source_positions=1500)
    return _LastHidden(transformers.WhisperModel(config).encoder, "input_features")


def hf_wav2vec2():
    """transformers Wav2Vec2Model, 4 layers of width 384, on 1 s of 16 kHz audio."""
    import transformers

    config = transformers.Wav2Vec2Config(hidden_size=384, num_hidden_layers=4, num_attention_heads=6,
                                         intermediate_size=1536)
    return _LastHidden(transformers.Wav2Vec2Model(config), "input_values")
