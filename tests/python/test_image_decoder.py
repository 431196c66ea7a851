"""ImageDecoder: formats and variants beyond the ONNX suite's nine cases (gray PNG, palette and
top-down BMP, every PNM kind, PNG with alpha), and hostile input: truncated streams, corrupt
bytes and huge declared dimensions must raise a clean onnxrt error, never crash or allocate
the declared size."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import onnx
import pytest
from onnx import helper as h

import onnxrt

_data = pytest.importorskip("onnx.backend.test.case.node._image_decoder_data")

SUITE = {fmt: getattr(_data, f"image_decoder_decode_{fmt}_rgb") for fmt in ("jpeg", "png", "tiff", "webp", "jpeg2k", "bmp", "pnm")}


def decoder(pixel_format="RGB"):
    node = h.make_node("ImageDecoder", ["data"], ["image"], pixel_format=pixel_format)
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("data", onnx.TensorProto.UINT8, [None])],
                         [h.make_tensor_value_info("image", onnx.TensorProto.UINT8, None)])
    return onnxrt.InferenceSession(h.make_model(graph, opset_imports=[h.make_opsetid("", 20)]).SerializeToString())


SESSIONS = {f: decoder(f) for f in ("RGB", "BGR", "Grayscale")}


def decode(data: bytes | np.ndarray, pixel_format="RGB"):
    return SESSIONS[pixel_format].run(None, {"data": np.frombuffer(bytes(data), dtype=np.uint8)})[0]


def png(pixels: np.ndarray, color_type: int, palette: bytes | None = None) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    hgt, wid = pixels.shape[:2]
    raw = b"".join(b"\0" + pixels[y].tobytes() for y in range(hgt))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", wid, hgt, 8, color_type, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", palette)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def bmp(rgb: np.ndarray, top_down=False) -> bytes:
    hgt, wid = rgb.shape[:2]
    stride = (wid * 3 + 3) // 4 * 4
    rows = [rgb[y, :, ::-1].tobytes().ljust(stride, b"\0") for y in (range(hgt) if top_down else range(hgt - 1, -1, -1))]
    body = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", 40, wid, -hgt if top_down else hgt, 1, 24, 0, len(body), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(body), 0, 0, 54) + info + body


def luma(rgb):
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)[..., None]


rng = np.random.default_rng(3)
RGB = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
GRAY = rng.integers(0, 256, (6, 3), dtype=np.uint8)


@pytest.mark.parametrize("fmt", sorted(SUITE))
def test_suite_images_in_every_pixel_format(fmt):
    rgb = SUITE[fmt].output
    np.testing.assert_array_equal(decode(SUITE[fmt].data), rgb)
    np.testing.assert_array_equal(decode(SUITE[fmt].data, "BGR"), rgb[..., ::-1])
    np.testing.assert_array_equal(decode(SUITE[fmt].data, "Grayscale"), luma(rgb))


def test_png_variants():
    np.testing.assert_array_equal(decode(png(RGB, 2)), RGB)
    np.testing.assert_array_equal(decode(png(GRAY, 0), "Grayscale")[..., 0], GRAY)
    np.testing.assert_array_equal(decode(png(GRAY, 0)), np.repeat(GRAY[..., None], 3, axis=2))
    # Palette image: indices into a 4-color table.
    table = rng.integers(0, 256, (4, 3), dtype=np.uint8)
    idx = rng.integers(0, 4, (3, 5), dtype=np.uint8)
    np.testing.assert_array_equal(decode(png(idx, 3, table.tobytes())), table[idx])
    # Opaque alpha is dropped.
    rgba = np.concatenate([RGB, np.full((5, 7, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(decode(png(rgba, 6)), RGB)


def test_bmp_variants():
    np.testing.assert_array_equal(decode(bmp(RGB)), RGB)
    np.testing.assert_array_equal(decode(bmp(RGB, top_down=True)), RGB)
    # 8-bit palette, bottom-up, width 3 (rows padded to 4 bytes).
    table = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    idx = rng.integers(0, 256, (2, 3), dtype=np.uint8)
    body = b"".join(idx[y].tobytes().ljust(4, b"\0") for y in (1, 0))
    pal = b"".join(bytes([b, g, r, 0]) for r, g, b in table)
    info = struct.pack("<IiiHHIIiiII", 40, 3, 2, 1, 8, 0, len(body), 0, 0, 256, 0)
    data = b"BM" + struct.pack("<IHHI", 54 + len(pal) + len(body), 0, 0, 54 + len(pal)) + info + pal + body
    np.testing.assert_array_equal(decode(data), table[idx])


def test_pnm_variants():
    np.testing.assert_array_equal(decode(b"P6\n7 5\n255\n" + RGB.tobytes()), RGB)
    np.testing.assert_array_equal(decode(b"P5 3 6 255 " + GRAY.tobytes(), "Grayscale")[..., 0], GRAY)
    ascii_rgb = b"P3\n# a comment\n7 5\n255\n" + " ".join(map(str, RGB.ravel())).encode()
    np.testing.assert_array_equal(decode(ascii_rgb), RGB)
    # maxval 15 scales to 0..255; P2 ascii gray
    np.testing.assert_array_equal(decode(b"P2 2 1 15 0 15", "Grayscale")[..., 0], [[0, 255]])
    # Bitmaps: 1 is black. P1 digits need no separators; P4 packs 8 pixels a byte, rows byte-aligned.
    np.testing.assert_array_equal(decode(b"P1 3 2 101 010", "Grayscale")[..., 0], [[0, 255, 0], [255, 0, 255]])
    np.testing.assert_array_equal(decode(b"P4 3 2 " + bytes([0b10100000, 0b01000000]), "Grayscale")[..., 0],
                                  [[0, 255, 0], [255, 0, 255]])
    # 16-bit samples (big-endian) scale to 8 bits.
    np.testing.assert_array_equal(decode(b"P5 2 1 65535 " + bytes([0, 0, 255, 255]), "Grayscale")[..., 0], [[0, 255]])


HUGE = {
    "bmp": b"BM" + struct.pack("<IHHI", 0, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 100000, 100000, 1, 24, 0, 0, 0, 0, 0, 0),
    "pnm": b"P6 100000 100000 255 \0\0\0",
    # a valid 1 x 1 PNG whose IHDR (CRC fixed up) declares 100000 x 100000
    "png": (lambda p: p[:16] + struct.pack(">II", 100000, 100000) + p[24:29]
            + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">II", 100000, 100000) + p[24:29])) + p[33:])(
        png(np.zeros((1, 1, 3), np.uint8), 2)),
    # SOF0 of a baseline JPEG rewritten to 60000 x 60000
    "jpeg": None,
}


def huge_jpeg():
    data = bytearray(SUITE["jpeg"].data.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    return bytes(data)


def huge_tiff():
    data = bytearray(SUITE["tiff"].data.tobytes())
    assert data[:2] == b"II"
    ifd = struct.unpack("<I", data[4:8])[0]
    n = struct.unpack("<H", data[ifd:ifd + 2])[0]
    for i in range(n):
        e = ifd + 2 + 12 * i
        tag, kind = struct.unpack("<HH", data[e:e + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength
            data[e + 8:e + 12] = struct.pack("<I", 200000) if kind == 4 else struct.pack("<HH", 60000, 0)
    return bytes(data)


@pytest.mark.parametrize("fmt", ["bmp", "pnm", "png", "jpeg", "tiff"])
def test_huge_declared_dimensions_are_refused(fmt):
    data = huge_jpeg() if fmt == "jpeg" else huge_tiff() if fmt == "tiff" else HUGE[fmt]
    with pytest.raises(onnxrt.InvalidArgument, match="exceeds the decoder's limit"):
        decode(data)


@pytest.mark.parametrize("fmt", sorted(SUITE))
def test_truncated_and_corrupt_streams_are_errors(fmt):
    full = SUITE[fmt].data.tobytes()
    for cut in sorted({1, 2, 5, 12, 30, len(full) // 3, len(full) // 2, len(full) - 40, len(full) - 1}):
        if cut <= 0 or cut >= len(full):
            continue
        try:
            out = decode(full[:cut])
        except onnxrt.InvalidArgument:
            continue
        # Formats whose tail is padding or trailing metadata may still decode; then the image is whole.
        np.testing.assert_array_equal(out, SUITE[fmt].output, err_msg=f"{fmt} cut at {cut} decoded a partial image")
    # Flipped bytes (headers included): an error or some image, never a crash.
    for seed in range(20):
        bad = bytearray(full)
        r = np.random.default_rng(seed)
        for pos in r.integers(min(20, len(full) - 1), len(full), 8):
            bad[pos] ^= 0xFF
        try:
            out = decode(bytes(bad))
            assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
        except (onnxrt.InvalidArgument, onnxrt.NotImplemented):
            pass


def test_unknown_format_and_bad_attribute():
    with pytest.raises(onnxrt.InvalidArgument, match="unrecognized image format"):
        decode(b"GIF89a....")
    with pytest.raises(onnxrt.InvalidArgument, match="unrecognized image format"):
        decode(b"")
    node = h.make_node("ImageDecoder", ["data"], ["image"], pixel_format="CMYK")
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("data", onnx.TensorProto.UINT8, [None])],
                         [h.make_tensor_value_info("image", onnx.TensorProto.UINT8, None)])
    with pytest.raises(Exception, match="pixel_format must be RGB, BGR or Grayscale"):
        onnxrt.InferenceSession(h.make_model(graph, opset_imports=[h.make_opsetid("", 20)]).SerializeToString())
