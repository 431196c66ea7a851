// The CPU kernel table of the signal family. DFT and STFT run an FFT per lane (signal_common.cc
// does the lanes): an iterative radix-2 FFT for power-of-two lengths, Bluestein's chirp-z
// algorithm for every other length (a convolution of power-of-two size m >= 2n - 1, so every
// length costs O(n log n); a prime length does not fall back to O(n²)). Twiddles and the chirp
// are computed once per run with exact argument reduction (k² mod 2n), which keeps the error
// of long transforms at the level of a few ulps of double. The window, mel and NMS kernels are
// shared with the reference table (signal_misc.cc).
#include <cmath>
#include <vector>

#include "kernels/cpu/signal_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using signal::cd;

constexpr double kPi = 3.14159265358979323846;

bool is_pow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// In-place radix-2 FFT of size m (a power of two) with twiddles tw[k] = exp(-2πik/m), k < m/2;
// `inverse` conjugates them (no 1/m scaling).
void fft_pow2(cd* a, int64_t m, const std::vector<cd>& tw, bool inverse) {
  for (int64_t i = 1, j = 0; i < m; ++i) {
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    const int64_t half = len >> 1, stride = m / len;
    for (int64_t i = 0; i < m; i += len) {
      for (int64_t j = 0; j < half; ++j) {
        const cd w = inverse ? std::conj(tw[static_cast<size_t>(j * stride)]) : tw[static_cast<size_t>(j * stride)];
        const cd u = a[i + j], v = a[i + j + half] * w;
        a[i + j] = u + v;
        a[i + j + half] = u - v;
      }
    }
  }
}

std::vector<cd> twiddles(int64_t m) {
  std::vector<cd> tw(static_cast<size_t>(m / 2 > 0 ? m / 2 : 1));
  for (int64_t k = 0; k < m / 2; ++k) {
    const double a = -2.0 * kPi * static_cast<double>(k) / static_cast<double>(m);
    tw[static_cast<size_t>(k)] = cd(std::cos(a), std::sin(a));
  }
  return tw;
}

class FftTransform final : public signal::LaneTransform {
 public:
  FftTransform(int64_t n, bool inverse) : n_(n), inverse_(inverse) {
    if (is_pow2(n)) {
      m_ = n;
      tw_ = twiddles(n);
      return;
    }
    // Bluestein: X[k] = w[k] · Σ_j (x[j] w[j]) · conj(w[k - j]), w[k] = exp(∓iπk²/n), a linear
    // convolution evaluated as a cyclic one of size m >= 2n - 1.
    m_ = 1;
    while (m_ < 2 * n - 1) m_ <<= 1;
    tw_ = twiddles(m_);
    const double sign = inverse ? 1.0 : -1.0;
    chirp_.resize(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) {
      const int64_t k2 = static_cast<int64_t>((static_cast<unsigned __int128>(k) * k) % (2 * n));
      const double a = sign * kPi * static_cast<double>(k2) / static_cast<double>(n);
      chirp_[static_cast<size_t>(k)] = cd(std::cos(a), std::sin(a));
    }
    kernel_.assign(static_cast<size_t>(m_), cd(0.0, 0.0));
    kernel_[0] = std::conj(chirp_[0]);
    for (int64_t k = 1; k < n; ++k)
      kernel_[static_cast<size_t>(k)] = kernel_[static_cast<size_t>(m_ - k)] = std::conj(chirp_[static_cast<size_t>(k)]);
    fft_pow2(kernel_.data(), m_, tw_, false);
  }

  int64_t work_size() const override { return chirp_.empty() ? 1 : m_; }

  void run(cd* data, cd* work) const override {
    if (chirp_.empty()) {
      fft_pow2(data, n_, tw_, inverse_);
      return;
    }
    for (int64_t k = 0; k < n_; ++k) work[k] = data[k] * chirp_[static_cast<size_t>(k)];
    for (int64_t k = n_; k < m_; ++k) work[k] = cd(0.0, 0.0);
    fft_pow2(work, m_, tw_, false);
    for (int64_t k = 0; k < m_; ++k) work[k] *= kernel_[static_cast<size_t>(k)];
    fft_pow2(work, m_, tw_, true);
    const double inv_m = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) data[k] = work[k] * inv_m * chirp_[static_cast<size_t>(k)];
  }

 private:
  int64_t n_, m_ = 1;
  bool inverse_;
  std::vector<cd> tw_, chirp_, kernel_;
};

std::unique_ptr<signal::LaneTransform> make_fft(int64_t n, bool inverse) {
  return std::make_unique<FftTransform>(n, inverse);
}

const KernelEntry kCpuSignal[] = {
    {"", "DFT", 17, kMaxOpset, DType::kUndefined, &make_cpu_dft},
    {"", "STFT", 17, kMaxOpset, DType::kUndefined, &make_cpu_stft},
    {"", "HannWindow", 17, kMaxOpset, DType::kUndefined, &signal::make_window},
    {"", "HammingWindow", 17, kMaxOpset, DType::kUndefined, &signal::make_window},
    {"", "BlackmanWindow", 17, kMaxOpset, DType::kUndefined, &signal::make_window},
    {"", "MelWeightMatrix", 17, kMaxOpset, DType::kUndefined, &signal::make_mel_weight_matrix},
    {"", "NonMaxSuppression", 10, kMaxOpset, DType::kFloat32, &signal::make_nms},
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_dft(const KernelInit& init) {
  return signal::make_dft_kernel(init, &make_fft, "fft");
}

Expected<std::unique_ptr<Kernel>> make_cpu_stft(const KernelInit& init) {
  return signal::make_stft_kernel(init, &make_fft, "fft");
}

std::span<const KernelEntry> cpu_signal_kernels() { return kCpuSignal; }

}  // namespace onnxrt::kernels
