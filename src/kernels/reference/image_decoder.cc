// ImageDecoder (opset 20): decodes one encoded image (a 1-D uint8 tensor) into [H, W, C] uint8,
// C = 3 for pixel_format RGB or BGR and 1 for Grayscale. The codec is picked by the data's
// signature (kernels/image_codecs/). Grayscale from a color image uses PIL's ITU-R 601-2 luma
// with its fixed-point rounding, (19595 R + 38470 G + 7471 B + 2^15) >> 16, because the suite's
// expected outputs come from PIL's convert("L"); gray images are replicated into RGB/BGR.
#include <string>

#include "ir/attribute.h"
#include "kernels/image_codecs/codecs.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels {

namespace {

enum class PixelFormat { kRgb, kBgr, kGray };

class ImageDecoderKernel final : public Kernel {
 public:
  explicit ImageDecoderKernel(PixelFormat f) : format_(f) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* in = ctx.input(0);
    if (!in || in->dtype() != DType::kUInt8) return ctx.error("input 0 (encoded_stream) must be a uint8 tensor");
    if (in->rank() != 1) return ctx.error("input 0 (encoded_stream) must be 1-D, got rank " + std::to_string(in->rank()));
    auto decoded = codecs::decode_image({in->data<uint8_t>(), static_cast<size_t>(in->size())});
    if (!decoded) return decoded.status().with_context(ctx.node().describe() + ": ");  // keeps NotImplemented apart
    const codecs::Image& img = *decoded;
    const int64_t c = format_ == PixelFormat::kGray ? 1 : 3;
    Tensor* out = ctx.allocate_output(0, DType::kUInt8, Shape{img.height, img.width, c});
    uint8_t* o = out->data<uint8_t>();
    const uint8_t* p = img.pixels.data();
    const int64_t n = img.height * img.width;
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* s = p + i * img.channels;
      if (format_ == PixelFormat::kGray) {
        o[i] = img.channels == 1 ? s[0] : static_cast<uint8_t>((s[0] * 19595u + s[1] * 38470u + s[2] * 7471u + 0x8000u) >> 16);
        continue;
      }
      const uint8_t r = s[0], g = img.channels == 1 ? s[0] : s[1], b = img.channels == 1 ? s[0] : s[2];
      o[3 * i] = format_ == PixelFormat::kRgb ? r : b;
      o[3 * i + 1] = g;
      o[3 * i + 2] = format_ == PixelFormat::kRgb ? b : r;
    }
    return Status::ok();
  }

 private:
  PixelFormat format_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_image_decoder(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string f = a.s("pixel_format", "RGB");
  ONNXRT_RETURN_IF_ERROR(a.status());
  PixelFormat pf;
  if (f == "RGB") pf = PixelFormat::kRgb;
  else if (f == "BGR") pf = PixelFormat::kBgr;
  else if (f == "Grayscale") pf = PixelFormat::kGray;
  else return init.error("pixel_format must be RGB, BGR or Grayscale, got '" + f + "'");
  return std::unique_ptr<Kernel>(new ImageDecoderKernel(pf));
}

}  // namespace onnxrt::kernels
