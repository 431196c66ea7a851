// BMP (Windows bitmap), parsed here: BITMAPCOREHEADER and BITMAPINFOHEADER (and its V4/V5
// extensions), uncompressed 1/4/8-bit palettized, 24-bit BGR and 32-bit BGRX rows, bottom-up or
// top-down. RLE and bit-field variants are NotImplemented. Every read is bounds-checked against
// the buffer.
#include <cstring>

#include "kernels/image_codecs/codecs.h"

namespace onnxrt::kernels::codecs {

namespace {

uint32_t u32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

Status bad(const std::string& m) { return invalid_argument("BMP: " + m); }

}  // namespace

Expected<Image> decode_bmp(std::span<const uint8_t> d) {
  if (d.size() < 26) return bad("truncated header");
  const uint64_t pixel_offset = u32(&d[10]);
  const uint32_t header = u32(&d[14]);
  int64_t width, height;
  uint32_t bpp, compression = 0, colors = 0;
  size_t palette_entry = 4;
  if (header == 12) {  // BITMAPCOREHEADER
    width = u16(&d[18]);
    height = u16(&d[20]);
    bpp = u16(&d[24]);
    palette_entry = 3;
  } else if (header >= 40) {
    if (d.size() < 14 + 40) return bad("truncated header");
    width = static_cast<int32_t>(u32(&d[18]));
    height = static_cast<int32_t>(u32(&d[22]));
    bpp = u16(&d[28]);
    compression = u32(&d[30]);
    colors = u32(&d[46]);
  } else {
    return bad("unknown header size " + std::to_string(header));
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  ONNXRT_RETURN_IF_ERROR(check_dimensions("BMP", width, height));
  if (compression != 0) return not_implemented("BMP: compression " + std::to_string(compression) + " (RLE or bit fields) is not supported");
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32) return not_implemented("BMP: " + std::to_string(bpp) + " bits per pixel");

  std::vector<uint8_t> palette;  // RGB triples
  if (bpp <= 8) {
    const uint64_t max_colors = uint64_t{1} << bpp;
    const uint64_t n = colors == 0 || colors > max_colors ? max_colors : colors;
    const uint64_t at = 14 + uint64_t{header};
    if (at + n * palette_entry > d.size()) return bad("truncated palette");
    palette.resize(static_cast<size_t>(max_colors) * 3, 0);
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* e = &d[static_cast<size_t>(at + i * palette_entry)];
      palette[static_cast<size_t>(i) * 3] = e[2];
      palette[static_cast<size_t>(i) * 3 + 1] = e[1];
      palette[static_cast<size_t>(i) * 3 + 2] = e[0];
    }
  }
  const uint64_t stride = ((uint64_t{bpp} * static_cast<uint64_t>(width) + 31) / 32) * 4;
  if (pixel_offset > d.size() || stride * static_cast<uint64_t>(height) > d.size() - pixel_offset)
    return bad("pixel data truncated: " + std::to_string(stride * static_cast<uint64_t>(height)) + " bytes expected at offset " +
               std::to_string(pixel_offset) + " of " + std::to_string(d.size()));
  Image img;
  img.width = width;
  img.height = height;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(width * height * 3));
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = &d[static_cast<size_t>(pixel_offset + stride * static_cast<uint64_t>(top_down ? y : height - 1 - y))];
    uint8_t* out = &img.pixels[static_cast<size_t>(y * width * 3)];
    for (int64_t x = 0; x < width; ++x, out += 3) {
      if (bpp >= 24) {
        const uint8_t* p = row + x * (bpp / 8);
        out[0] = p[2];
        out[1] = p[1];
        out[2] = p[0];
      } else {
        const int64_t bit = x * bpp;
        const unsigned index = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
        std::memcpy(out, &palette[index * 3], 3);
      }
    }
  }
  return img;
}

}  // namespace onnxrt::kernels::codecs
