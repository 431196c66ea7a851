// JPEG 2000 (JP2 files and raw J2K codestreams) through openjpeg, read from memory with a
// user stream. The header is read first so the size cap applies before decoding. Components
// with subsampling or more than 8 bits are not supported (NotImplemented); 1 component is gray,
// 3 or more are RGB (a 4th, alpha, is dropped).
#include "kernels/image_codecs/codecs.h"

#if ONNXRT_HAVE_LIBOPENJP2
#include <algorithm>
#include <cstring>

#include <openjpeg.h>
#endif

namespace onnxrt::kernels::codecs {

#if ONNXRT_HAVE_LIBOPENJP2
namespace {

struct Source {
  std::span<const uint8_t> data;
  OPJ_UINT64 pos = 0;
  std::string error;
};

OPJ_SIZE_T read_fn(void* buf, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  if (s->pos >= s->data.size()) return static_cast<OPJ_SIZE_T>(-1);  // end of stream
  const OPJ_SIZE_T k = std::min<OPJ_SIZE_T>(n, s->data.size() - s->pos);
  std::memcpy(buf, s->data.data() + s->pos, k);
  s->pos += k;
  return k;
}
OPJ_OFF_T skip_fn(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  const OPJ_OFF_T left = static_cast<OPJ_OFF_T>(s->data.size() - std::min<OPJ_UINT64>(s->pos, s->data.size()));
  const OPJ_OFF_T k = n < 0 ? 0 : std::min(n, left);
  s->pos += static_cast<OPJ_UINT64>(k);
  return k;
}
OPJ_BOOL seek_fn(OPJ_OFF_T off, void* user) {
  auto* s = static_cast<Source*>(user);
  if (off < 0 || static_cast<OPJ_UINT64>(off) > s->data.size()) return OPJ_FALSE;
  s->pos = static_cast<OPJ_UINT64>(off);
  return OPJ_TRUE;
}
void on_error(const char* msg, void* user) {
  auto* s = static_cast<Source*>(user);
  if (s->error.empty()) {
    s->error = msg;
    while (!s->error.empty() && s->error.back() == '\n') s->error.pop_back();
  }
}
void on_quiet(const char*, void*) {}

// Owns the three openjpeg objects.
struct Handles {
  opj_codec_t* codec = nullptr;
  opj_stream_t* stream = nullptr;
  opj_image_t* image = nullptr;
  ~Handles() {
    if (image) opj_image_destroy(image);
    if (stream) opj_stream_destroy(stream);
    if (codec) opj_destroy_codec(codec);
  }
};

}  // namespace

Expected<Image> decode_jpeg2000(std::span<const uint8_t> data) {
  Source src;
  src.data = data;
  const bool raw = data.size() >= 4 && data[0] == 0xFF && data[1] == 0x4F;
  Handles h;
  h.codec = opj_create_decompress(raw ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
  if (!h.codec) return invalid_argument("JPEG 2000: cannot create a decoder");
  opj_set_error_handler(h.codec, on_error, &src);
  opj_set_warning_handler(h.codec, on_quiet, &src);
  opj_set_info_handler(h.codec, on_quiet, &src);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(h.codec, &params)) return invalid_argument("JPEG 2000: " + src.error);
  h.stream = opj_stream_default_create(OPJ_TRUE);
  if (!h.stream) return invalid_argument("JPEG 2000: cannot create a stream");
  opj_stream_set_user_data(h.stream, &src, nullptr);
  opj_stream_set_user_data_length(h.stream, data.size());
  opj_stream_set_read_function(h.stream, read_fn);
  opj_stream_set_skip_function(h.stream, skip_fn);
  opj_stream_set_seek_function(h.stream, seek_fn);
  auto failed = [&](const char* what) {
    return invalid_argument(std::string("JPEG 2000: ") + what + (src.error.empty() ? "" : ": " + src.error));
  };
  if (!opj_read_header(h.stream, h.codec, &h.image) || !h.image) return failed("cannot read the header");
  const int64_t w = static_cast<int64_t>(h.image->x1) - h.image->x0;
  const int64_t ht = static_cast<int64_t>(h.image->y1) - h.image->y0;
  ONNXRT_RETURN_IF_ERROR(check_dimensions("JPEG 2000", w, ht));
  if (!opj_decode(h.codec, h.stream, h.image) || !opj_end_decompress(h.codec, h.stream)) return failed("cannot decode");
  const opj_image_t& im = *h.image;
  if (im.numcomps != 1 && im.numcomps < 3) return not_implemented("JPEG 2000: images with " + std::to_string(im.numcomps) + " components");
  Image img;
  img.channels = im.numcomps == 1 ? 1 : 3;
  for (int c = 0; c < img.channels; ++c) {
    const opj_image_comp_t& comp = im.comps[c];
    if (comp.dx != 1 || comp.dy != 1 || comp.prec > 8 || comp.prec == 0 || comp.sgnd || !comp.data)
      return not_implemented("JPEG 2000: component " + std::to_string(c) + " is subsampled, signed or has " +
                             std::to_string(comp.prec) + " bits; only unsigned 8-bit full-resolution components are supported");
    if (static_cast<int64_t>(comp.w) != w || static_cast<int64_t>(comp.h) != ht)
      return not_implemented("JPEG 2000: components of different sizes");
  }
  img.width = w;
  img.height = ht;
  const size_t n = static_cast<size_t>(w * ht);
  img.pixels.resize(n * static_cast<size_t>(img.channels));
  for (int c = 0; c < img.channels; ++c) {
    const opj_image_comp_t& comp = im.comps[c];
    const int shift = 8 - static_cast<int>(comp.prec);
    for (size_t i = 0; i < n; ++i) {
      const int v = comp.data[i] << shift;
      img.pixels[i * static_cast<size_t>(img.channels) + static_cast<size_t>(c)] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
  return img;
}
#else
Expected<Image> decode_jpeg2000(std::span<const uint8_t>) {
  return not_implemented("JPEG 2000: onnxrt was built without openjpeg (apt: libopenjp2-7-dev)");
}
#endif

}  // namespace onnxrt::kernels::codecs
