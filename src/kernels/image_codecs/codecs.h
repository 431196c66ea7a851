// Decoders of the encoded formats ImageDecoder accepts, one file per format. JPEG, PNG, TIFF,
// WebP and JPEG 2000 wrap the Debian libraries (libjpeg-turbo, libpng, libtiff, libwebp,
// openjpeg), found by pkg-config at build time; a format whose library was missing reports
// NotImplemented. BMP and PNM are simple enough to parse here.
//
// Every decoder reads the declared dimensions first and refuses images above kMaxPixels before
// allocating anything, and treats truncated or corrupt data as an error (never a partial image),
// so hostile input costs at most the capped allocation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "onnxrt/status.h"

namespace onnxrt::kernels::codecs {

// 2^26 pixels (e.g. 8192 x 8192, 192 MiB as RGB): above any photo the op is meant for.
inline constexpr int64_t kMaxPixels = int64_t{1} << 26;

// 8-bit pixels, rows top to bottom, channels interleaved: 1 (gray) or 3 (R, G, B).
struct Image {
  int64_t height = 0;
  int64_t width = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;
};

// An error when width x height is empty, negative or above kMaxPixels (`format` names the codec).
Status check_dimensions(const char* format, int64_t width, int64_t height);

Expected<Image> decode_jpeg(std::span<const uint8_t> data);
Expected<Image> decode_png(std::span<const uint8_t> data);
Expected<Image> decode_tiff(std::span<const uint8_t> data);
Expected<Image> decode_webp(std::span<const uint8_t> data);
Expected<Image> decode_jpeg2000(std::span<const uint8_t> data);
Expected<Image> decode_bmp(std::span<const uint8_t> data);
Expected<Image> decode_pnm(std::span<const uint8_t> data);

// Picks the decoder from the data's signature; an error names what was expected.
Expected<Image> decode_image(std::span<const uint8_t> data);

}  // namespace onnxrt::kernels::codecs
