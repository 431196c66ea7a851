// Format detection by signature (magic bytes) and the dimension cap shared by the decoders.
#include <cstring>

#include "kernels/image_codecs/codecs.h"

namespace onnxrt::kernels::codecs {

Status check_dimensions(const char* format, int64_t width, int64_t height) {
  if (width <= 0 || height <= 0)
    return invalid_argument(std::string(format) + ": image is " + std::to_string(width) + " x " + std::to_string(height));
  if (width > kMaxPixels / height)
    return invalid_argument(std::string(format) + ": image of " + std::to_string(width) + " x " + std::to_string(height) +
                            " pixels exceeds the decoder's limit of " + std::to_string(kMaxPixels) + " pixels");
  return Status::ok();
}

namespace {

bool starts_with(std::span<const uint8_t> d, const char* magic, size_t n, size_t at = 0) {
  return d.size() >= at + n && std::memcmp(d.data() + at, magic, n) == 0;
}

}  // namespace

Expected<Image> decode_image(std::span<const uint8_t> d) {
  if (starts_with(d, "\xFF\xD8\xFF", 3)) return decode_jpeg(d);
  if (starts_with(d, "\x89PNG\r\n\x1A\n", 8)) return decode_png(d);
  if (starts_with(d, "II*\0", 4) || starts_with(d, "MM\0*", 4)) return decode_tiff(d);
  if (starts_with(d, "RIFF", 4) && starts_with(d, "WEBP", 4, 8)) return decode_webp(d);
  if (starts_with(d, "\0\0\0\x0CjP  \r\n\x87\n", 12) || starts_with(d, "\xFF\x4F\xFF\x51", 4)) return decode_jpeg2000(d);
  if (starts_with(d, "BM", 2)) return decode_bmp(d);
  if (d.size() >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') return decode_pnm(d);
  return invalid_argument("unrecognized image format (" + std::to_string(d.size()) +
                          " bytes): expected JPEG, PNG, TIFF, WebP, JPEG 2000, BMP or PNM");
}

}  // namespace onnxrt::kernels::codecs
