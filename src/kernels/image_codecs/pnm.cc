// PNM (netpbm), parsed here: P1/P4 bitmaps, P2/P5 graymaps, P3/P6 pixmaps, in ASCII and binary
// form, maxval up to 65535 (scaled to 8 bits, rounding to nearest). Bitmaps decode to gray with
// 1 = black. Header and data reads are bounds-checked.
#include <algorithm>
#include <cctype>

#include "kernels/image_codecs/codecs.h"

namespace onnxrt::kernels::codecs {

namespace {

Status bad(const std::string& m) { return invalid_argument("PNM: " + m); }

struct Reader {
  std::span<const uint8_t> d;
  size_t pos = 2;

  void skip_space_and_comments() {
    while (pos < d.size()) {
      if (d[pos] == '#') {
        while (pos < d.size() && d[pos] != '\n' && d[pos] != '\r') ++pos;
      } else if (std::isspace(d[pos])) {
        ++pos;
      } else {
        break;
      }
    }
  }
  // A decimal header or ASCII-raster number; -1 when there is none or it exceeds `limit`.
  int64_t number(int64_t limit) {
    skip_space_and_comments();
    if (pos >= d.size() || !std::isdigit(d[pos])) return -1;
    int64_t v = 0;
    while (pos < d.size() && std::isdigit(d[pos])) {
      v = v * 10 + (d[pos++] - '0');
      if (v > limit) return -1;
    }
    return v;
  }
};

}  // namespace

Expected<Image> decode_pnm(std::span<const uint8_t> d) {
  const char kind = static_cast<char>(d[1]);
  const bool bitmap = kind == '1' || kind == '4';
  const bool ascii = kind <= '3';
  const int channels = kind == '3' || kind == '6' ? 3 : 1;
  Reader r{d};
  const int64_t width = r.number(int64_t{1} << 31);
  const int64_t height = r.number(int64_t{1} << 31);
  if (width < 0 || height < 0) return bad("bad width or height in the header");
  const int64_t maxval = bitmap ? 1 : r.number(65535);
  if (maxval < 1) return bad("maxval must be 1..65535");
  ONNXRT_RETURN_IF_ERROR(check_dimensions("PNM", width, height));
  // One whitespace byte ends the header of the binary forms.
  if (!ascii) {
    if (r.pos >= d.size() || !std::isspace(d[r.pos])) return bad("header does not end with whitespace");
    ++r.pos;
  }
  Image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  const size_t n = static_cast<size_t>(width * height * channels);
  img.pixels.resize(n);
  auto scale = [&](int64_t v) -> uint8_t {
    if (bitmap) return v ? 0 : 255;  // 1 is black
    return static_cast<uint8_t>((std::min(v, maxval) * 255 + maxval / 2) / maxval);
  };
  if (ascii) {
    for (size_t i = 0; i < n; ++i) {
      int64_t v;
      if (bitmap) {  // digits need no separators in P1
        r.skip_space_and_comments();
        if (r.pos >= d.size() || (d[r.pos] != '0' && d[r.pos] != '1')) return bad("truncated or bad bitmap data");
        v = d[r.pos++] - '0';
      } else {
        v = r.number(maxval);
        if (v < 0) return bad("truncated or bad sample " + std::to_string(i));
      }
      img.pixels[i] = scale(v);
    }
    return img;
  }
  const uint8_t* p = d.data() + r.pos;
  const size_t left = d.size() - r.pos;
  if (bitmap) {
    const size_t stride = static_cast<size_t>((width + 7) / 8);
    if (stride * static_cast<size_t>(height) > left) return bad("pixel data truncated");
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x)
        img.pixels[static_cast<size_t>(y * width + x)] = scale((p[static_cast<size_t>(y) * stride + static_cast<size_t>(x / 8)] >> (7 - x % 8)) & 1);
    return img;
  }
  const size_t bytes = maxval > 255 ? 2 : 1;
  if (n * bytes > left) return bad("pixel data truncated: " + std::to_string(n * bytes) + " bytes expected, " + std::to_string(left) + " present");
  for (size_t i = 0; i < n; ++i) {
    const int64_t v = bytes == 2 ? (p[2 * i] << 8 | p[2 * i + 1]) : p[i];
    img.pixels[i] = maxval == 255 ? static_cast<uint8_t>(v) : scale(v);
  }
  return img;
}

}  // namespace onnxrt::kernels::codecs
