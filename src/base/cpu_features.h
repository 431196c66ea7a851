// What the CPU we run on can do, read once from CPUID. Kernels pick their microkernels from this
// at run time (never at build time), so one binary runs on any x86-64.
#pragma once

namespace onnxrt {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;

  bool has_avx2_fma() const { return avx2 && fma; }
  bool has_avx512() const { return avx512f && avx512bw && avx512dq && avx512vl; }
};

// Detected once. ONNXRT_ISA=scalar|avx2|avx512 caps what is used (tests and benchmarks use this
// to exercise every path on one machine).
const CpuFeatures& cpu_features();

}  // namespace onnxrt
