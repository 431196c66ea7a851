// Reference (oracle) kernels of the signal family. DFT and STFT use the defining sum,
// X[k] = Σ_j x[j] · exp(∓2πi·jk/n), in O(n²) with the angle reduced exactly (jk mod n) so that
// long transforms stay accurate. Windows, MelWeightMatrix and NonMaxSuppression share the one
// simple implementation with the CPU table (kernels/cpu/signal_misc.cc).
#include <cmath>
#include <vector>

#include "kernels/cpu/signal_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using signal::cd;

constexpr double kPi = 3.14159265358979323846;

class NaiveDft final : public signal::LaneTransform {
 public:
  NaiveDft(int64_t n, bool inverse) : n_(n), sign_(inverse ? 1.0 : -1.0) {}
  int64_t work_size() const override { return n_; }
  void run(cd* data, cd* work) const override {
    for (int64_t k = 0; k < n_; ++k) {
      cd acc(0.0, 0.0);
      for (int64_t j = 0; j < n_; ++j) {
        const int64_t r = static_cast<int64_t>((static_cast<unsigned __int128>(j) * k) % n_);
        const double a = sign_ * 2.0 * kPi * static_cast<double>(r) / static_cast<double>(n_);
        acc += data[j] * cd(std::cos(a), std::sin(a));
      }
      work[k] = acc;
    }
    for (int64_t k = 0; k < n_; ++k) data[k] = work[k];
  }

 private:
  int64_t n_;
  double sign_;
};

std::unique_ptr<signal::LaneTransform> make_naive(int64_t n, bool inverse) {
  return std::make_unique<NaiveDft>(n, inverse);
}

const KernelEntry kRefSignal[] = {
    {"", "DFT", 17, kMaxOpset, DType::kUndefined, &make_ref_dft},
    {"", "STFT", 17, kMaxOpset, DType::kUndefined, &make_ref_stft},
    {"", "HannWindow", 17, kMaxOpset, DType::kUndefined, &signal::make_window},
    {"", "HammingWindow", 17, kMaxOpset, DType::kUndefined, &signal::make_window},
    {"", "BlackmanWindow", 17, kMaxOpset, DType::kUndefined, &signal::make_window},
    {"", "MelWeightMatrix", 17, kMaxOpset, DType::kUndefined, &signal::make_mel_weight_matrix},
    {"", "NonMaxSuppression", 10, kMaxOpset, DType::kFloat32, &signal::make_nms},
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_dft(const KernelInit& init) {
  return signal::make_dft_kernel(init, &make_naive, "reference");
}

Expected<std::unique_ptr<Kernel>> make_ref_stft(const KernelInit& init) {
  return signal::make_stft_kernel(init, &make_naive, "reference");
}

std::span<const KernelEntry> reference_signal_kernels() { return kRefSignal; }

}  // namespace onnxrt::kernels
