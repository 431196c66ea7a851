// WebP (lossy and lossless) through libwebp, decoded straight to RGB; alpha is dropped.
#include "kernels/image_codecs/codecs.h"

#if ONNXRT_HAVE_LIBWEBP
#include <webp/decode.h>
#endif

namespace onnxrt::kernels::codecs {

#if ONNXRT_HAVE_LIBWEBP
Expected<Image> decode_webp(std::span<const uint8_t> data) {
  int w = 0, h = 0;
  if (!WebPGetInfo(data.data(), data.size(), &w, &h)) return invalid_argument("WebP: not a valid WebP stream");
  ONNXRT_RETURN_IF_ERROR(check_dimensions("WebP", w, h));
  Image img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  if (!WebPDecodeRGBInto(data.data(), data.size(), img.pixels.data(), img.pixels.size(), w * 3))
    return invalid_argument("WebP: the stream is corrupt or truncated");
  return img;
}
#else
Expected<Image> decode_webp(std::span<const uint8_t>) {
  return not_implemented("WebP: onnxrt was built without libwebp (apt: libwebp-dev)");
}
#endif

}  // namespace onnxrt::kernels::codecs
