// Kernel benchmark: the machine's FMA peak, SGEMM on the GEMM shapes of the model zoo, and single
// ops (convolutions, element-wise, normalization) run through a one-node session, at 1 and 2
// threads. The peak is measured by this binary so that "% of peak" compares like with like.
//   kernel_bench [--threads 1,2] [--doc docs/performance.md]
// Prints a markdown section; with --doc it replaces the "## Kernels" section of that file.
// Built with -DONNXRT_BUILD_BENCHMARKS=ON (make bench-kernels).
#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/cpu_features.h"
#include "base/half.h"
#include "base/thread_pool.h"
#include "ir/graph.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/qgemm.h"
#include "onnx/model_io.h"
#include "onnxrt/onnxrt.h"

using namespace onnxrt;

namespace {

// With one thread, timings use the calling thread's CPU time: on a shared machine wall time also
// counts other processes' time slices, which deflate the FMA loop and the GEMM by different
// amounts (256x768x768 read 88-92% of the peak by wall time on the loaded dev VM, 94-96% by CPU
// time). Several threads are timed by the wall clock.
bool g_thread_clock = false;

double now_s() {
  if (g_thread_clock) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best-of-5 seconds per call of fn, each sample long enough (>= 20 ms) to average out timer noise.
double time_call(const std::function<void()>& fn) {
  fn();
  int reps = 1;
  for (;;) {
    const double t0 = now_s();
    for (int i = 0; i < reps; ++i) fn();
    if (now_s() - t0 > 0.02 || reps > (1 << 20)) break;
    reps *= 4;
  }
  double best = 1e30;
  for (int s = 0; s < 5; ++s) {
    const double t0 = now_s();
    for (int i = 0; i < reps; ++i) fn();
    best = std::min(best, (now_s() - t0) / reps);
  }
  return best;
}

// --- FMA peak: 12 independent accumulator chains, enough to cover FMA latency x throughput.
__attribute__((target("avx512f"))) double fma_loop_avx512(int64_t iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t k = 0; k < iters; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t k = 0; k < iters; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

// GFLOP/s of `threads` threads each running the FMA loop.
double fma_peak_gflops(int threads) {
  const bool avx512 = cpu_features().has_avx512();
  const int lanes = avx512 ? 16 : 8;
  const int64_t iters = 20'000'000;
  std::atomic<double> sink{0};
  auto one = [&] { sink = sink + (avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters)); };
  double best = 1e30;
  g_thread_clock = threads == 1;
  for (int r = 0; r < 3; ++r) {
    const double t0 = now_s();
    std::vector<std::thread> ts;
    for (int t = 1; t < threads; ++t) ts.emplace_back(one);
    one();
    for (auto& t : ts) t.join();
    best = std::min(best, now_s() - t0);
  }
  g_thread_clock = false;
  return 2.0 * 12 * lanes * static_cast<double>(iters) * threads / best * 1e-9;
}

// --- one-node sessions
struct OpCase {
  std::string label;
  std::string op;
  std::vector<std::pair<std::string, Shape>> inputs;        // fed at run time
  std::vector<std::pair<std::string, Shape>> initializers;  // constant (weights)
  std::vector<ir::Attribute> attrs;
  double flops = 0;  // 0: report bytes moved instead
  double bytes = 0;
};

Tensor random_float(const Shape& s, std::mt19937& rng) {
  Tensor t = Tensor::allocate(DType::kFloat32, s);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// Seconds per run of the op, or a negative value when it cannot be built.
double time_op(const OpCase& c, int threads, std::string* error) {
  std::mt19937 rng(7);
  ir::Graph g;
  g.opset_imports = {{"", 18}};
  std::vector<std::string> names;
  for (const auto& [name, shape] : c.inputs) {
    auto id = g.add_input(name, ir::ValueType::tensor(DType::kFloat32, to_sym_shape(shape)));
    if (!id) return *error = id.status().message(), -1;
    names.push_back(name);
  }
  for (const auto& [name, shape] : c.initializers) {
    auto id = g.add_initializer(name, random_float(shape, rng));
    if (!id) return *error = id.status().message(), -1;
    names.push_back(name);
  }
  ir::Node node;
  node.name = c.label;
  node.op_type = c.op;
  node.opset = 18;
  for (const auto& a : c.attrs) node.attrs.set(a);
  const std::vector<std::string> outs{"y"};
  auto nid = g.add_node(std::move(node), names, outs);
  if (!nid) return *error = nid.status().message(), -1;
  if (Status st = g.add_output("y"); !st.is_ok()) return *error = st.message(), -1;
  auto bytes = onnx::save_model(g, ModelMetadata{});
  if (!bytes) return *error = bytes.status().message(), -1;
  SessionOptions opts;
  opts.intra_op_num_threads = threads;
  auto session = Session::load_bytes(bytes->data(), bytes->size(), opts);
  if (!session) return *error = session.status().message(), -1;
  std::vector<std::pair<std::string, Value>> feeds;
  for (const auto& [name, shape] : c.inputs) feeds.emplace_back(name, random_float(shape, rng));
  bool ok = true;
  const double t = time_call([&] { ok = ok && (*session)->run(feeds, {}).has_value(); });
  if (!ok) return *error = "run failed", -1;
  return t;
}

std::vector<OpCase> op_cases() {
  auto conv = [](std::string label, Shape x, Shape w, int64_t stride, int64_t pad, int64_t group) {
    OpCase c;
    c.label = std::move(label);
    c.op = "Conv";
    c.inputs = {{"x", x}};
    c.initializers = {{"w", w}, {"b", {w[0]}}};
    c.attrs = {ir::ints_attribute("strides", {stride, stride}), ir::ints_attribute("pads", {pad, pad, pad, pad}),
               ir::int_attribute("group", group)};
    const int64_t oh = (x[2] + 2 * pad - w[2]) / stride + 1, ow = (x[3] + 2 * pad - w[3]) / stride + 1;
    c.flops = 2.0 * x[0] * w[0] * oh * ow * w[1] * w[2] * w[3];
    return c;
  };
  auto eltwise = [](std::string label, std::string op, Shape x, int n_inputs) {
    OpCase c;
    c.label = std::move(label);
    c.op = std::move(op);
    c.inputs = {{"a", x}};
    if (n_inputs == 2) c.inputs.push_back({"b", x});
    c.bytes = 4.0 * shape_size(x) * (n_inputs + 1);
    return c;
  };
  std::vector<OpCase> cases = {
      conv("ResNet conv 7x7/2, 3->64 @224", {1, 3, 224, 224}, {64, 3, 7, 7}, 2, 3, 1),
      conv("ResNet conv 3x3, 64->64 @56", {1, 64, 56, 56}, {64, 64, 3, 3}, 1, 1, 1),
      conv("ResNet conv 1x1, 256->64 @56", {1, 256, 56, 56}, {64, 256, 1, 1}, 1, 0, 1),
      conv("ResNet conv 3x3, 128->128 @28", {1, 128, 28, 28}, {128, 128, 3, 3}, 1, 1, 1),
      conv("ResNet conv 3x3, 256->256 @14", {1, 256, 14, 14}, {256, 256, 3, 3}, 1, 1, 1),
      conv("ResNet conv 3x3, 512->512 @7", {1, 512, 7, 7}, {512, 512, 3, 3}, 1, 1, 1),
      conv("MobileNetV2 depthwise 3x3, 144 @56", {1, 144, 56, 56}, {144, 1, 3, 3}, 1, 1, 144),
      conv("MobileNetV2 pointwise 1x1, 144->24 @56", {1, 144, 56, 56}, {24, 144, 1, 1}, 1, 0, 1),
      eltwise("Add, 4M floats", "Add", {4, 1024, 1024}, 2),
      eltwise("Sigmoid, 4M floats", "Sigmoid", {4, 1024, 1024}, 1),
      eltwise("Erf, 4M floats", "Erf", {4, 1024, 1024}, 1),
      eltwise("Softmax, 12x128x128", "Softmax", {12, 128, 128}, 1),
  };
  OpCase ln;
  ln.label = "LayerNormalization, 128x768";
  ln.op = "LayerNormalization";
  ln.inputs = {{"x", {128, 768}}};
  ln.initializers = {{"scale", {768}}, {"bias", {768}}};
  ln.attrs = {ir::int_attribute("axis", -1)};
  ln.bytes = 4.0 * 128 * 768 * 2;
  cases.push_back(ln);
  return cases;
}

struct GemmShape {
  const char* label;
  int64_t m, n, k;
};

// B as float32 panels, or kept as 16-bit panels (PackedB::pack_half / pack_bf16, a 16-bit model's
// weights) widened in the microkernel.
enum class BPanels { kFloat32, kFloat16, kBFloat16 };

double packed_gflops(const GemmShape& s, ThreadPool* pool, BPanels panels) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> A(s.m * s.k), B(s.k * s.n), C(s.m * s.n);
  for (auto& x : A) x = d(rng);
  for (auto& x : B) x = d(rng);
  std::vector<uint16_t> B16(B.size());
  for (size_t i = 0; i < B.size(); ++i) B16[i] = panels == BPanels::kBFloat16 ? float_to_bfloat16(B[i]) : float_to_half(B[i]);
  const kernels::PackedB pb = panels == BPanels::kFloat16    ? kernels::PackedB::pack_half(false, s.k, s.n, B16.data(), s.n)
                              : panels == BPanels::kBFloat16 ? kernels::PackedB::pack_bf16(false, s.k, s.n, B16.data(), s.n)
                                                             : kernels::PackedB::pack(false, s.k, s.n, B.data(), s.n);
  const double t = time_call(
      [&] { kernels::sgemm_packed(false, s.m, 1.f, A.data(), s.k, pb, 0.f, C.data(), s.n, pool); });
  return 2.0 * s.m * s.n * s.k / t * 1e-9;
}

double sgemm_gflops(const GemmShape& s, ThreadPool* pool) { return packed_gflops(s, pool, BPanels::kFloat32); }
double sgemm_f16b_gflops(const GemmShape& s, ThreadPool* pool) { return packed_gflops(s, pool, BPanels::kFloat16); }
double sgemm_bf16b_gflops(const GemmShape& s, ThreadPool* pool) { return packed_gflops(s, pool, BPanels::kBFloat16); }

// MatMulInteger's product with a constant int8 B: uint8 A minus a zero point, int32 C.
double qgemm_gops(const GemmShape& s, ThreadPool* pool) {
  std::mt19937 rng(1);
  std::vector<uint8_t> A(s.m * s.k);
  std::vector<int8_t> B(s.k * s.n);
  std::vector<int32_t> C(s.m * s.n);
  for (auto& x : A) x = static_cast<uint8_t>(rng());
  for (auto& x : B) x = static_cast<int8_t>(rng());
  const uint8_t za = 128;
  const int8_t zb = 0;  // symmetric weights, as quantize_dynamic makes them: B packs as int8
  const kernels::QuantPackedB pb = kernels::QuantPackedB::pack(s.k, s.n, {B.data(), true, s.n, &zb, 1});
  std::vector<int16_t> scratch(kernels::qgemm_scratch_elements(s.m, s.k));
  const double t = time_call([&] {
    kernels::qgemm(s.m, {A.data(), false, s.k, &za, 1}, pb, C.data(), s.n, scratch.data(), pool);
  });
  return 2.0 * s.m * s.n * s.k / t * 1e-9;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void replace_section(const std::string& path, const std::string& heading, const std::string& body) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const size_t at = doc.find("\n" + heading + "\n");
  if (at == std::string::npos) {
    if (!doc.empty() && doc.back() != '\n') doc += "\n";
    doc += "\n" + body;
  } else {
    const size_t next = doc.find("\n## ", at + 1);
    doc = doc.substr(0, at + 1) + body + (next == std::string::npos ? "" : doc.substr(next));
  }
  std::ofstream(path) << doc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{1, 2};
  std::string doc_path, only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      std::stringstream list(argv[++i]);
      for (std::string t; std::getline(list, t, ',');) thread_counts.push_back(std::atoi(t.c_str()));
    } else if (a == "--doc" && i + 1 < argc) {
      doc_path = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {  // ops whose label contains this (profiling); "sgemm" / "qgemm": that GEMM table only
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--threads 1,2] [--doc docs/performance.md] [--only LABEL]\n", argv[0]);
      return 2;
    }
  }
  std::ostringstream md;
  md << "## Kernels\n\nMeasured by `make bench-kernels` (benchmarks/kernels/kernel_bench.cc): best of 5 "
        "samples of at least 20 ms each, timed by the thread's CPU time at 1 thread (other processes' "
        "time slices excluded) and by the wall clock at more. The FMA peak is this binary's own loop of independent "
        "fused multiply-adds ("
     << (cpu_features().has_avx512() ? "AVX-512" : "AVX2")
     << "), one loop per thread; GEMM is onnxrt's SGEMM with B prepacked (as for constant weights). "
        "Ops run as one-node sessions, weights constant, so the time includes the per-run cost of a "
        "session. Conv GFLOP/s count the multiply-adds of a direct convolution, so the 3x3 layers that "
        "run as Winograd convolutions (fewer multiplications) show more than the FMA peak.\n\n";
  std::vector<double> peak;
  for (int t : thread_counts) peak.push_back(fma_peak_gflops(t));
  md << "| threads | FMA peak GFLOP/s |\n|---:|---:|\n";
  for (size_t i = 0; i < thread_counts.size(); ++i)
    md << "| " << thread_counts[i] << " | " << fixed(peak[i], 1) << " |\n";

  const GemmShape shapes[] = {
      {"512 x 512 x 512", 512, 512, 512},
      {"256 x 768 x 768 (issue #8's target shape)", 256, 768, 768},
      {"BERT QKV/out: 128 x 768 x 768", 128, 768, 768},
      {"BERT FFN up: 128 x 3072 x 768", 128, 3072, 768},
      {"BERT FFN down: 128 x 768 x 3072", 128, 768, 3072},
      {"GPT-2 decode QKV: 1 x 2304 x 768", 1, 2304, 768},
      {"LSTM step: 4 x 1024 x 256", 4, 1024, 256},
      {"ResNet 3x3 im2col: 3136 x 64 x 576", 3136, 64, 576},
  };
  // One table per GEMM: rate per shape and thread count, and its ratio to the fp32 FMA peak.
  auto gemm_table = [&](const char* heading, const char* unit, const char* key,
                        double (*rate)(const GemmShape&, ThreadPool*), bool percent) {
    md << "\n| " << heading << " |";
    for (int t : thread_counts) md << " " << t << " thread " << unit << (percent ? " (% of peak) |" : " (x fp32 FMA peak) |");
    md << "\n|---|";
    for (size_t i = 0; i < thread_counts.size(); ++i) md << "---:|";
    md << "\n";
    for (const GemmShape& s : shapes) {
      if (!only.empty() && only != key) break;
      md << "| " << s.label << " |";
      for (size_t i = 0; i < thread_counts.size(); ++i) {
        ThreadPool pool(thread_counts[i]);
        g_thread_clock = thread_counts[i] == 1;
        const double g = rate(s, &pool);
        g_thread_clock = false;
        md << " " << fixed(g, 1) << " ("
           << (percent ? fixed(100.0 * g / peak[i], 0) + "%" : fixed(g / peak[i], 2) + "x") << ") |";
      }
      md << "\n";
      std::fprintf(stderr, "%s %s done\n", key, s.label);
    }
  };
  gemm_table("SGEMM (M x N x K)", "GFLOP/s", "sgemm", &sgemm_gflops, true);
  gemm_table("SGEMM, float16 B widened in the microkernel (M x N x K)", "GFLOP/s", "sgemm_f16b", &sgemm_f16b_gflops,
             true);
  gemm_table("SGEMM, bfloat16 B widened in the microkernel (M x N x K)", "GFLOP/s", "sgemm_bf16b",
             &sgemm_bf16b_gflops, true);
  gemm_table("int8 GEMM, uint8 A x int8 B -> int32 (M x N x K)", "GOP/s", "qgemm", &qgemm_gops, false);

  md << "\n| op | ";
  for (int t : thread_counts) md << t << " thread us (GFLOP/s or GB/s) | ";
  md << "\n|---|";
  for (size_t i = 0; i < thread_counts.size(); ++i) md << "---:|";
  md << "\n";
  for (const OpCase& c : op_cases()) {
    if (!only.empty() && (only == "sgemm" || only == "sgemm_f16b" || only == "sgemm_bf16b" || only == "qgemm" || c.label.find(only) == std::string::npos)) continue;
    md << "| " << c.label << " |";
    for (int t : thread_counts) {
      std::string error;
      g_thread_clock = t == 1;
      const double s = time_op(c, t, &error);
      g_thread_clock = false;
      if (s < 0) {
        md << " fails: " << error << " |";
        continue;
      }
      const double rate = c.flops > 0 ? c.flops / s * 1e-9 : c.bytes / s * 1e-9;
      md << " " << fixed(s * 1e6, 1) << " (" << fixed(rate, 1) << (c.flops > 0 ? " GFLOP/s" : " GB/s")
         << ") |";
    }
    md << "\n";
    std::fprintf(stderr, "op %s done\n", c.label.c_str());
  }
  std::fputs(md.str().c_str(), stdout);
  if (!doc_path.empty()) replace_section(doc_path, "## Kernels", md.str());
  return 0;
}
