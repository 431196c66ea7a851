// A C++ timing loop over one model, for profiling with perf without the Python interpreter in the
// samples (the Python extension is stripped; the static library keeps its symbols):
//   cmake -B build -DONNXRT_BUILD_BENCHMARKS=ON && cmake --build build --target bench_model
//   perf record -g /tmp/bench_model model.onnx [threads] [runs] [name=size,...]   (runs 0: creation only)
// Inputs are random (floats ~U[-1,1], integers in [0, 1000)); a symbolic dim takes the size given
// for its name (say batch=1,seq=128), other unknown dims are 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "onnxrt/onnxrt.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s model.onnx [threads] [runs] [name=size,...]\n", argv[0]);
    return 2;
  }
  onnxrt::SessionOptions opts;
  opts.intra_op_num_threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 20;
  std::vector<std::pair<std::string, int64_t>> sizes;  // symbolic dim name -> size
  for (std::string spec = argc > 4 ? argv[4] : ""; !spec.empty();) {
    const size_t comma = std::min(spec.find(','), spec.size());
    const std::string item = spec.substr(0, comma);
    spec.erase(0, std::min(comma + 1, spec.size()));
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "dim sizes are name=size, got '%s'\n", item.c_str());
      return 2;
    }
    sizes.emplace_back(item.substr(0, eq), std::atoll(item.c_str() + eq + 1));
  }
  const auto c0 = std::chrono::steady_clock::now();
  auto session = onnxrt::Session::load(argv[1], opts);
  if (!session) {
    std::fprintf(stderr, "%s\n", session.status().to_string().c_str());
    return 1;
  }
  // runs == 0: time session creation only (for profiling it without runs in the samples).
  if (runs == 0) {
    std::printf("created in %.1f ms\n",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count());
    return 0;
  }
  std::mt19937 rng(0);
  std::vector<std::pair<std::string, onnxrt::Value>> feeds;
  for (const onnxrt::ValueInfo& in : (*session)->inputs()) {
    onnxrt::Shape shape;
    for (const auto& d : in.shape) {
      int64_t n = d.value >= 0 ? d.value : 1;
      for (const auto& [name, size] : sizes)
        if (d.value < 0 && name == d.symbol) n = size;
      shape.push_back(n);
    }
    onnxrt::Tensor t = onnxrt::Tensor::allocate(in.dtype, shape);
    if (in.dtype == onnxrt::DType::kFloat32) {
      std::uniform_real_distribution<float> u(-1.f, 1.f);
      for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = u(rng);
    } else if (in.dtype == onnxrt::DType::kInt64) {
      for (int64_t i = 0; i < t.size(); ++i) t.data<int64_t>()[i] = rng() % 1000;
    } else if (in.dtype == onnxrt::DType::kInt32) {
      for (int64_t i = 0; i < t.size(); ++i) t.data<int32_t>()[i] = static_cast<int32_t>(rng() % 1000);
    }
    feeds.emplace_back(in.name, onnxrt::Value(t));
  }
  // At 1 thread the session runs on this thread, so its CPU time excludes the time slices that
  // other processes take on a shared machine (wall time there varies by tens of percent).
  auto cpu_ms = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
  };
  std::vector<double> ms, cpu;
  for (int r = 0; r < runs + 1; ++r) {
    const double c0 = cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    auto out = (*session)->run(feeds, {});
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = cpu_ms();
    if (!out) {
      std::fprintf(stderr, "%s\n", out.status().to_string().c_str());
      return 1;
    }
    if (r > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (r > 0) cpu.push_back(c1 - c0);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("median %.3f ms  min %.3f ms  (%d runs, %d threads)", ms[ms.size() / 2], ms[0], runs,
              opts.intra_op_num_threads);
  // The spread shows bimodal timings (a worker that missed a job) that the median hides.
  std::printf("  p10 %.3f p90 %.3f", ms[ms.size() / 10], ms[ms.size() * 9 / 10]);
  if (opts.intra_op_num_threads == 1)
    std::printf("  thread CPU time: median %.3f ms  min %.3f ms", cpu[cpu.size() / 2], cpu[0]);
  std::printf("\n");
  return 0;
}
