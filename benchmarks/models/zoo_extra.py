"""Models outside issue #8's suite, for finding where onnxrt falls behind on what users export: a
YOLO-style detector (3x3 stride-2 convs, SiLU, SPPF max pools, nearest upsampling, concats), a
ConvNeXt-style classifier (7x7 depthwise convs, channels-last LayerNorm through permutes, GELU
MLPs), a ViT-style encoder (16x16 patch conv, pre-norm nn.TransformerEncoder) and, from
transformers configs, Whisper's audio encoder (1500 frames: long attention) and wav2vec2 (1-D conv
feature extractor). The eighteenth session's scan added families whose ops the others lack: an
unrolled nn.RNN, a graph network's index_add (ScatterND add), a C3D video CNN (Conv3d, MaxPool3d),
a detection head's post-processing (ArgMax, TopK, GatherElements), a Mamba-style block (Softplus,
CumSum, causal depthwise Conv1d) and a Conformer (depthwise Conv1d, GLU, attention). The
nineteenth and twentieth added a 3-D UNet, a segmentation head, a DCGAN generator (4x4 stride-2
ConvTranspose) and a diffusion UNet (GroupNorm, SiLU, time embedding, attention). The
twenty-fifth added transformers models at published sizes: T5-small, DistilBERT, DeBERTa-v3-small,
Swin-T, SegFormer-B0 and DINOv2-S.
Random weights, no downloads; zoo.py lists them in EXTRA (run.py --models)."""

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


class _EncoderDecoderLastHidden(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, decoder_input_ids):
        return self.model(input_ids=input_ids, decoder_input_ids=decoder_input_ids, use_cache=False).last_hidden_state


# The twenty-fifth session's: transformers families at the sizes of their small published
# checkpoints (configs only, random weights), each with a kind of attention or block the other
# models lack.
def hf_t5_small():
    """T5-small (6 + 6 layers, width 512): relative position buckets, RMSNorm as Pow / ReduceMean /
    Sqrt, bias-free projections, cross-attention; 128 encoder and 32 decoder tokens."""
    import transformers

    config = transformers.T5Config(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8)
    return _EncoderDecoderLastHidden(transformers.T5Model(config))


def hf_distilbert():
    """DistilBERT-base (6 layers, width 768) on 128 tokens."""
    import transformers

    return _LastHidden(transformers.DistilBertModel(transformers.DistilBertConfig()), "input_ids")


def hf_deberta_v3_small():
    """DeBERTa-v3-small's shape (6 layers, width 768): disentangled attention, whose
    content-to-position and position-to-content terms gather from relative-position scores."""
    import transformers

    config = transformers.DebertaV2Config(
        hidden_size=768, num_hidden_layers=6, num_attention_heads=12, intermediate_size=3072, vocab_size=128100,
        relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm", share_att_key=True,
        pos_att_type=["p2c", "c2p"], max_relative_positions=-1, position_biased_input=False)
    return _LastHidden(transformers.DebertaV2Model(config), "input_ids")


def hf_swin_tiny():
    """Swin-T (depths 2-2-6-2, width 96): shifted 7x7 windows (Roll, window partitions as
    Reshape / Transpose), relative position bias, patch merging."""
    import transformers

    config = transformers.SwinConfig(image_size=224, embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24],
                                     window_size=7)
    return _LastHidden(transformers.SwinModel(config), "pixel_values")


def hf_segformer_b0():
    """SegFormer-B0's encoder on a 512x512 image: attention over spatially reduced keys, Mix-FFN
    (a 3x3 depthwise conv between the linear layers), overlapping patch embeddings."""
    import transformers

    return _LastHidden(transformers.SegformerModel(transformers.SegformerConfig()), "pixel_values")


def hf_dinov2_small():
    """DINOv2-S/14 (12 layers, width 384) on a 224x224 image: 257 tokens, layer scale, bicubic
    position-embedding interpolation at export."""
    import transformers

    config = transformers.Dinov2Config(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, image_size=224,
                                       patch_size=14)
    return _LastHidden(transformers.Dinov2Model(config), "pixel_values")


class SimpleRNN(nn.Module):
    """nn.RNN (tanh, 2 layers, hidden 256) over 100 steps of batch 8: torch.onnx unrolls it into a
    MatMul + Add + Tanh per step, every step reading the same recurrent weight."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(64, 256, num_layers=2, batch_first=True)
        self.out = nn.Linear(256, 10)

    def forward(self, x):
        return self.out(self.rnn(x)[0][:, -1])


class GraphConv(nn.Module):
    """Two graph-convolution layers over 2000 nodes and 10000 edges: messages gathered with
    index_select and summed with index_add (ScatterND, reduction add, duplicate indices)."""

    def __init__(self, nodes=2000, d=64):
        super().__init__()
        self.l1, self.l2, self.nodes = nn.Linear(d, 128), nn.Linear(128, 16), nodes

    def forward(self, x, src, dst):
        def propagate(h):
            return torch.zeros(self.nodes, h.shape[1]).index_add(0, dst, h.index_select(0, src))
        return propagate(self.l2(nn.functional.relu(propagate(self.l1(x)))))


class C3D(nn.Module):
    """A small C3D-style video classifier: 3x3x3 Conv3d + ReLU, MaxPool3d, global average pool."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv3d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool3d((1, 2, 2)),
                                      nn.Conv3d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
                                      nn.Conv3d(64, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


class DetectionHead(nn.Module):
    """A YOLO-style head and its post-processing on a 40x40 feature map: 1x1 conv to 3 x 85
    channels, objectness x class scores, the best class (max: ReduceMax + ArgMax), the 100 best
    boxes (TopK) and their coordinates (GatherElements)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(64, 85 * 3, 1)

    def forward(self, x):
        p = self.conv(x).flatten(2).transpose(1, 2).reshape(1, -1, 85)
        scores = p[..., 4:5].sigmoid() * p[..., 5:].sigmoid()
        best, cls = scores.max(-1)
        top, idx = best.topk(100, dim=1)
        boxes = p[..., :4].gather(1, idx.unsqueeze(-1).expand(-1, -1, 4))
        return boxes, top, cls.gather(1, idx)


class MambaStyle(nn.Module):
    """A Mamba-style gated block written as a parallel scan: causal depthwise Conv1d (k = 4),
    SiLU, Softplus step sizes and CumSum / Exp for the decay."""

    def __init__(self, d=256):
        super().__init__()
        self.inp, self.dt, self.out = nn.Linear(d, 2 * d), nn.Linear(d, d), nn.Linear(d, d)
        self.conv = nn.Conv1d(d, d, 4, padding=3, groups=d)

    def forward(self, x):
        u, g = self.inp(x).chunk(2, -1)
        u = nn.functional.silu(self.conv(u.transpose(1, 2))[..., : x.shape[1]].transpose(1, 2))
        cum = torch.cumsum(-nn.functional.softplus(self.dt(u)), 1)
        y = torch.exp(cum) * torch.cumsum(torch.exp(-cum).clamp(max=1e30) * u, 1)
        return self.out(y * nn.functional.silu(g))


class _ConformerBlock(nn.Module):
    def __init__(self, d=144, heads=4):
        super().__init__()
        def ff():
            return nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d))
        self.ff1, self.ff2 = ff(), ff()
        self.ln_att, self.ln_conv, self.ln_out = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.pw1, self.pw2 = nn.Conv1d(d, 2 * d, 1), nn.Conv1d(d, d, 1)
        self.dw, self.bn = nn.Conv1d(d, d, 31, padding=15, groups=d), nn.BatchNorm1d(d)

    def forward(self, x):
        x = x + 0.5 * self.ff1(x)
        y = self.ln_att(x)
        x = x + self.att(y, y, y, need_weights=False)[0]
        y = nn.functional.glu(self.pw1(self.ln_conv(x).transpose(1, 2)), dim=1)
        x = x + self.pw2(nn.functional.silu(self.bn(self.dw(y)))).transpose(1, 2)
        return self.ln_out(x + 0.5 * self.ff2(x))


class Conformer(nn.Module):
    """A Conformer encoder (4 blocks of width 144, Conformer-S's shape) on 4 s of 80-bin features,
    after a 2-conv stride-4 subsampling."""

    def __init__(self):
        super().__init__()
        self.sub = nn.Sequential(nn.Conv2d(1, 144, 3, 2), nn.ReLU(), nn.Conv2d(144, 144, 3, 2), nn.ReLU())
        self.proj = nn.Linear(144 * 19, 144)
        self.blocks = nn.Sequential(*[_ConformerBlock() for _ in range(4)])

    def forward(self, x):
        x = self.sub(x)
        b, c, t, f = x.shape
        return self.blocks(self.proj(x.transpose(1, 2).reshape(b, t, c * f)))


class UNet3D(nn.Module):
    """A small 3-D UNet (volumetric segmentation, MONAI-style): 3x3x3 Conv3d + InstanceNorm3d +
    ReLU blocks, MaxPool3d down, ConvTranspose3d (2x2x2, stride 2) up, skip Concat."""

    def __init__(self, c=16):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv3d(i, o, 3, padding=1), nn.InstanceNorm3d(o), nn.ReLU(),
                                 nn.Conv3d(o, o, 3, padding=1), nn.InstanceNorm3d(o), nn.ReLU())
        self.enc1, self.enc2, self.mid = block(1, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.pool = nn.MaxPool3d(2)
        self.up2, self.dec2 = nn.ConvTranspose3d(4 * c, 2 * c, 2, 2), block(4 * c, 2 * c)
        self.up1, self.dec1 = nn.ConvTranspose3d(2 * c, c, 2, 2), block(2 * c, c)
        self.head = nn.Conv3d(c, 3, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        return self.head(self.dec1(torch.cat([self.up1(d2), e1], 1)))


class SegHead2D(nn.Module):
    """A DenseNet / FPN style 2-D segmentation net: conv blocks with AvgPool2d transitions down,
    bilinear Upsample (align_corners False) back up with skip additions."""

    def __init__(self, c=32):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())
        self.stem = block(3, c)
        self.d1, self.d2, self.d3 = block(c, c), block(c, 2 * c), block(2 * c, 2 * c)
        self.pool = nn.AvgPool2d(2)
        self.lat3, self.lat2 = nn.Conv2d(2 * c, c, 1), nn.Conv2d(2 * c, c, 1)
        self.head = nn.Conv2d(c, 8, 1)

    def forward(self, x):
        s = self.stem(x)
        f1 = self.d1(s)
        f2 = self.d2(self.pool(f1))
        f3 = self.d3(self.pool(f2))
        up = nn.functional.interpolate(self.lat3(f3), scale_factor=2, mode="bilinear", align_corners=False)
        up = nn.functional.interpolate(up + self.lat2(f2), scale_factor=2, mode="bilinear", align_corners=False)
        return nn.functional.interpolate(self.head(up + f1), scale_factor=2, mode="bilinear", align_corners=False)



class DCGANGenerator(nn.Module):
    """A DCGAN generator (64x64 images from a 100-d latent): 4x4 stride-2 ConvTranspose2d +
    BatchNorm2d + ReLU stages, Tanh out: the overlapping-taps ConvTranspose of GANs and pix2pix."""

    def __init__(self, nz=100, ngf=64):
        super().__init__()
        def up(i, o):
            return [nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
        self.net = nn.Sequential(nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(),
                                 *up(ngf * 8, ngf * 4), *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf),
                                 nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class _DiffusionResBlock(nn.Module):
    def __init__(self, c, t_dim):
        super().__init__()
        self.n1, self.n2 = nn.GroupNorm(8, c), nn.GroupNorm(8, c)
        self.c1, self.c2 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)
        self.t = nn.Linear(t_dim, c)

    def forward(self, x, temb):
        h = self.c1(nn.functional.silu(self.n1(x))) + self.t(temb)[:, :, None, None]
        return x + self.c2(nn.functional.silu(self.n2(h)))


class DiffusionUNetStyle(nn.Module):
    """A small diffusion UNet (DDPM / Stable Diffusion style) at 32x32: sinusoidal time embedding,
    GroupNorm + SiLU residual blocks, self-attention at 16x16, stride-2 conv down, nearest
    upsample + conv up, skip Concat."""

    def __init__(self, c=64, t_dim=128):
        super().__init__()
        self.t_dim = t_dim
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.inp = nn.Conv2d(4, c, 3, padding=1)
        self.r1 = _DiffusionResBlock(c, t_dim)
        self.down = nn.Conv2d(c, 2 * c, 3, 2, 1)
        self.r2 = _DiffusionResBlock(2 * c, t_dim)
        self.norm_a = nn.GroupNorm(8, 2 * c)
        self.attn = nn.MultiheadAttention(2 * c, 4, batch_first=True)
        self.r3 = _DiffusionResBlock(2 * c, t_dim)
        self.up = nn.Conv2d(2 * c, c, 3, padding=1)
        self.merge = nn.Conv2d(2 * c, c, 1)
        self.r4 = _DiffusionResBlock(c, t_dim)
        self.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 4, 3, padding=1))

    def forward(self, x, t):
        half = self.t_dim // 2
        freqs = torch.exp(-torch.arange(half, dtype=torch.float32) * (9.210340371976184 / half))
        args = t[:, None] * freqs[None, :]
        temb = self.t_mlp(torch.cat([torch.sin(args), torch.cos(args)], dim=1))
        h1 = self.r1(self.inp(x), temb)
        h = self.r2(self.down(h1), temb)
        b, c, hh, ww = h.shape
        s = self.norm_a(h).flatten(2).transpose(1, 2)
        h = h + self.attn(s, s, s, need_weights=False)[0].transpose(1, 2).reshape(b, c, hh, ww)
        h = self.r3(h, temb)
        h = self.up(nn.functional.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.r4(self.merge(torch.cat([h, h1], 1)), temb)
        return self.out(h)


class _ResNeXtBlock(nn.Module):
    def __init__(self, c, width, groups, stride=1):
        super().__init__()
        out = c if stride == 1 else 2 * c
        self.a = _cbr(c, width, 1)
        self.b = _cbr(width, width, 3, stride, groups)
        self.c = nn.Sequential(nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out))
        self.short = None if stride == 1 else nn.Sequential(nn.Conv2d(c, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        s = x if self.short is None else self.short(x)
        return nn.functional.relu(s + self.c(self.b(self.a(x))))


def _cbr(cin, cout, k, s=1, g=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class ResNeXtStyle(nn.Module):
    """ResNeXt-50 (32x4d)'s first two stages at 224: bottlenecks whose 3x3 convs have 32 groups
    (4 then 8 channels per group), a stride-2 stage change with its shortcut; the grouped convs
    that RegNet and ShuffleNet have too."""

    def __init__(self):
        super().__init__()
        self.stem = _cbr(3, 64, 7, 2)
        self.s1 = nn.Sequential(_ResNeXtBlock(64, 128, 32), _ResNeXtBlock(64, 128, 32), _ResNeXtBlock(64, 128, 32))
        self.s2 = nn.Sequential(_ResNeXtBlock(64, 256, 32, 2), _ResNeXtBlock(128, 256, 32), _ResNeXtBlock(128, 256, 32))
        self.fc = nn.Linear(128, 1000)

    def forward(self, x):
        x = nn.functional.max_pool2d(self.stem(x), 3, 2, 1)
        return self.fc(self.s2(self.s1(x)).mean((2, 3)))
