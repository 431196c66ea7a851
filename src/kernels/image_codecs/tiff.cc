// TIFF through libtiff, read from memory with client callbacks and decoded by
// TIFFReadRGBAImageOriented, which handles every photometric interpretation, bit depth and
// compression libtiff knows. Error and warning handlers are per file (TIFFOpenOptions), not
// libtiff's global ones, so concurrent decodes do not share state; libtiff's own allocation cap
// backs up kMaxPixels. The first image (directory) of the file is decoded.
#include "kernels/image_codecs/codecs.h"

#if ONNXRT_HAVE_LIBTIFF
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include <tiffio.h>
#endif

namespace onnxrt::kernels::codecs {

#if ONNXRT_HAVE_LIBTIFF
namespace {

struct Source {
  std::span<const uint8_t> data;
  uint64_t pos = 0;
  std::string error;
};

tmsize_t read_proc(thandle_t h, void* buf, tmsize_t n) {
  auto* s = static_cast<Source*>(h);
  if (n < 0) return -1;
  const uint64_t left = s->pos < s->data.size() ? s->data.size() - s->pos : 0;
  const uint64_t k = std::min<uint64_t>(left, static_cast<uint64_t>(n));
  if (k) std::memcpy(buf, s->data.data() + s->pos, k);
  s->pos += k;
  return static_cast<tmsize_t>(k);
}
tmsize_t write_proc(thandle_t, void*, tmsize_t) { return -1; }
toff_t seek_proc(thandle_t h, toff_t off, int whence) {
  auto* s = static_cast<Source*>(h);
  uint64_t base = whence == SEEK_CUR ? s->pos : whence == SEEK_END ? s->data.size() : 0;
  s->pos = base + off;
  return s->pos;
}
int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t h) { return static_cast<Source*>(h)->data.size(); }
int map_proc(thandle_t, void**, toff_t*) { return 0; }
void unmap_proc(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* s = static_cast<Source*>(user);
  if (s->error.empty()) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    s->error = std::string(module ? module : "") + ": " + buf;
  }
  return 1;  // handled
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }  // unknown tags and the like

}  // namespace

Expected<Image> decode_tiff(std::span<const uint8_t> data) {
  Source src;
  src.data = data;
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &src);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &src);
  TIFFOpenOptionsSetMaxSingleMemAlloc(opts, static_cast<tmsize_t>(kMaxPixels) * 4 + 4096);
  // "m": no memory mapping (we have no file), read only.
  TIFF* tif = TIFFClientOpenExt("memory", "rm", &src, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc,
                                unmap_proc, opts);
  TIFFOpenOptionsFree(opts);
  if (!tif) return invalid_argument("TIFF: " + (src.error.empty() ? std::string("cannot read the header") : src.error));
  uint32_t w = 0, h = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
  if (Status dims = check_dimensions("TIFF", w, h); !dims.is_ok()) {
    TIFFClose(tif);
    return dims;
  }
  std::vector<uint32_t> raster(static_cast<size_t>(w) * h);
  const int ok = TIFFReadRGBAImageOriented(tif, w, h, raster.data(), ORIENTATION_TOPLEFT, 1);
  TIFFClose(tif);
  if (!ok || !src.error.empty())
    return invalid_argument("TIFF: " + (src.error.empty() ? std::string("cannot decode the image") : src.error));
  Image img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  img.pixels.resize(raster.size() * 3);
  for (size_t i = 0; i < raster.size(); ++i) {
    img.pixels[3 * i] = static_cast<uint8_t>(TIFFGetR(raster[i]));
    img.pixels[3 * i + 1] = static_cast<uint8_t>(TIFFGetG(raster[i]));
    img.pixels[3 * i + 2] = static_cast<uint8_t>(TIFFGetB(raster[i]));
  }
  return img;
}
#else
Expected<Image> decode_tiff(std::span<const uint8_t>) {
  return not_implemented("TIFF: onnxrt was built without libtiff (apt: libtiff-dev)");
}
#endif

}  // namespace onnxrt::kernels::codecs
