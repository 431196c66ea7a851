#include "base/cpu_features.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace onnxrt {

namespace {

#if defined(__x86_64__) || defined(__i386__)
// The OS must save the wide registers on context switches, or using them corrupts state: XCR0
// says which register files it saves (bits 1-2: XMM/YMM; bits 5-7: AVX-512 opmask and ZMM).
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  if (!osxsave) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;
  f.fma = os_ymm && ((ecx >> 12) & 1);
  f.f16c = os_ymm && ((ecx >> 29) & 1);
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    f.avx2 = os_ymm && ((ebx >> 5) & 1);
    f.avx512f = os_zmm && ((ebx >> 16) & 1);
    f.avx512dq = os_zmm && ((ebx >> 17) & 1);
    f.avx512bw = os_zmm && ((ebx >> 30) & 1);
    f.avx512vl = os_zmm && ((ebx >> 31) & 1);
  }
#endif
  if (const char* cap = std::getenv("ONNXRT_ISA")) {
    if (std::strcmp(cap, "scalar") == 0) {
      f = CpuFeatures{};
    } else if (std::strcmp(cap, "avx2") == 0) {
      f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = false;
    }
  }
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace onnxrt
