// JPEG through libjpeg-turbo with the library's default decoding (islow IDCT, fancy upsampling),
// which is what PIL and OpenCV use, so pixels match theirs exactly. libjpeg reports errors by
// calling error_exit, which must not return: it longjmps back here. Only trivially destructible
// objects are created between setjmp and the jump. Warnings (truncated data, corrupt segments)
// are errors too: libjpeg would otherwise return a partly gray image.
#include "kernels/image_codecs/codecs.h"

#if ONNXRT_HAVE_LIBJPEG
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first

#include <jpeglib.h>
#endif

namespace onnxrt::kernels::codecs {

#if ONNXRT_HAVE_LIBJPEG
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<ErrorManager*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void on_message(j_common_ptr c, int level) {
  if (level < 0) on_error(c);  // a warning: corrupt or truncated data
}

}  // namespace

Expected<Image> decode_jpeg(std::span<const uint8_t> data) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  Image img;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return invalid_argument(std::string("JPEG: ") + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data.data(), static_cast<unsigned long>(data.size()));
  jpeg_read_header(&cinfo, TRUE);
  const Status dims = check_dimensions("JPEG", cinfo.image_width, cinfo.image_height);
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (!dims.is_ok() || cmyk) {
    jpeg_destroy_decompress(&cinfo);
    if (cmyk) return not_implemented("JPEG: CMYK / YCCK images are not supported");
    return dims;
  }
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  img.width = cinfo.output_width;
  img.height = cinfo.output_height;
  img.channels = cinfo.output_components;
  const size_t stride = static_cast<size_t>(img.width) * static_cast<size_t>(img.channels);
  img.pixels.resize(stride * static_cast<size_t>(img.height));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = img.pixels.data() + static_cast<size_t>(cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return img;
}
#else
Expected<Image> decode_jpeg(std::span<const uint8_t>) {
  return not_implemented("JPEG: onnxrt was built without libjpeg (apt: libjpeg62-turbo-dev)");
}
#endif

}  // namespace onnxrt::kernels::codecs
