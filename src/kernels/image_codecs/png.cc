// PNG through libpng's simplified API (png_image), which validates the stream and CRCs and
// converts any bit depth and palette to 8-bit gray or RGB. Alpha is dropped (composited on black
// by libpng): ImageDecoder's outputs have no alpha channel.
#include "kernels/image_codecs/codecs.h"

#if ONNXRT_HAVE_LIBPNG
#include <png.h>
#endif

namespace onnxrt::kernels::codecs {

#if ONNXRT_HAVE_LIBPNG
Expected<Image> decode_png(std::span<const uint8_t> data) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, data.data(), data.size()))
    return invalid_argument(std::string("PNG: ") + png.message);
  const Status dims = check_dimensions("PNG", png.width, png.height);
  if (!dims.is_ok()) {
    png_image_free(&png);
    return dims;
  }
  const bool color = (png.format & PNG_FORMAT_FLAG_COLOR) != 0;
  png.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  Image img;
  img.width = png.width;
  img.height = png.height;
  img.channels = color ? 3 : 1;
  img.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, img.pixels.data(), 0, nullptr)) {
    std::string message = png.message;
    png_image_free(&png);
    return invalid_argument("PNG: " + message);
  }
  return img;
}
#else
Expected<Image> decode_png(std::span<const uint8_t>) {
  return not_implemented("PNG: onnxrt was built without libpng (apt: libpng-dev)");
}
#endif

}  // namespace onnxrt::kernels::codecs
