// Support vector machines: the kernel-value ukernels (ukernels/ml/svm.h) against their definition
// over swept shapes, the double exp against std::exp over its whole range, and the CPU
// SVMClassifier / SVMRegressor against the reference kernel over random models of every kernel
// type, class count, probability setting and post-transform; com.onnxrt SquaredDistances, which
// shares the pair ukernel, against its reference with V constant and fed; and LinearClassifier /
// LinearRegressor, whose CPU kernel uses it too.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "base/cpu_features.h"
#include "kernels/harness.h"
#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::testing {
namespace {

using kernels::ml::exp_scaled_f64_avx2;
using kernels::ml::svm_pairs_avx2;
using kernels::ml::svm_pairs_scalar;

// Ulps between two finite doubles of the same sign (or both zero).
double ulps(double a, double b) {
  if (a == b) return 0;
  return std::fabs(a - b) / std::fabs(std::nextafter(b, 2 * b + 1) - b);
}

TEST(SvmUkernel, PairsMatchDefinition) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-2, 2);
  for (int64_t cols : {0, 1, 3, 20}) {
    for (int64_t nv : {1, 3, 4, 5, 8, 9, 16, 17, 33}) {
      std::vector<float> vectors(static_cast<size_t>(nv * cols));
      for (float& v : vectors) v = u(rng);
      std::vector<double> panels(static_cast<size_t>(kernels::ml::svm_panels_size(nv, cols)), -7.0);
      kernels::ml::svm_pack_vectors(vectors.data(), nv, cols, panels.data());
      for (int64_t rows : {0, 1, 2, 3, 4, 5, 7, 9}) {
        std::vector<double> x(static_cast<size_t>(rows * cols));
        for (double& v : x) v = u(rng);
        for (bool sq : {false, true}) {
          // The definition, one pair at a time in feature order.
          std::vector<double> want(static_cast<size_t>(rows * nv));
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t v = 0; v < nv; ++v) {
              double acc = 0;
              for (int64_t k = 0; k < cols; ++k) {
                const double a = x[static_cast<size_t>(i * cols + k)], b = vectors[static_cast<size_t>(v * cols + k)];
                acc += sq ? (a - b) * (a - b) : a * b;
              }
              want[static_cast<size_t>(i * nv + v)] = acc;
            }
          for (auto fn : {&svm_pairs_scalar, &svm_pairs_avx2}) {
            if (fn == &svm_pairs_avx2 && !cpu_features().has_avx2_fma()) continue;
            std::vector<double> got(static_cast<size_t>(rows * nv) + 3, 1234.5);  // guard values past the end
            fn(x.data(), rows, cols, panels.data(), nv, sq, got.data());
            for (int64_t i = 0; i < rows * nv; ++i) {
              const double w = want[static_cast<size_t>(i)];
              // The AVX2 tile fuses each multiply into its add: one rounding fewer per feature.
              ASSERT_NEAR(got[static_cast<size_t>(i)], w, 1e-14 * (std::fabs(w) + 16.0 * static_cast<double>(cols)))
                  << "cols " << cols << " vectors " << nv << " rows " << rows << " sq " << sq << " at " << i;
            }
            for (size_t g = static_cast<size_t>(rows * nv); g < got.size(); ++g) ASSERT_EQ(got[g], 1234.5);
          }
        }
      }
    }
  }
}

TEST(SvmUkernel, ExpMatchesStdExpOverItsRange) {
  if (!cpu_features().has_avx2_fma()) GTEST_SKIP() << "no AVX2";
  std::vector<double> in;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> wide(-760, 720), near0(-1, 1);
  for (int i = 0; i < 200000; ++i) in.push_back(i % 2 ? wide(rng) : near0(rng));
  // The ends of the fast range and past them (underflow to subnormals and zero, overflow), halves
  // of ln 2 where the rounding of n changes, and the special values.
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {-708.0, 709.0, -708.0000001, 709.0000001, -745.2, -745.13321910194110842, -1000.0, 709.78,
                   709.79, 0.0, -0.0, 0.34657359027997264, -0.34657359027997264, 1e-300, -1e-300, inf, -inf,
                   std::numeric_limits<double>::quiet_NaN()})
    in.push_back(v);
  std::vector<double> got = in;
  exp_scaled_f64_avx2(got.data(), static_cast<int64_t>(got.size()), 1.0);
  double worst = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const double want = std::exp(in[i]);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got[i])) << in[i];
      continue;
    }
    if (want == 0 || std::isinf(want) || want < std::numeric_limits<double>::min()) {
      ASSERT_EQ(got[i], want) << "exp(" << in[i] << ")";  // the library's own exp out of range
      continue;
    }
    worst = std::max(worst, ulps(got[i], want));
    ASSERT_LE(ulps(got[i], want), 2.0) << "exp(" << in[i] << ") = " << got[i] << ", std::exp " << want;
  }
  EXPECT_LE(worst, 2.0);
  // The scale multiplies first, as -gamma * d does in the reference; tails shorter than 4 too.
  for (int64_t n : {1, 3, 5, 7}) {
    std::vector<double> v(static_cast<size_t>(n)), w(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = w[static_cast<size_t>(i)] = 0.37 * static_cast<double>(i + 1);
    exp_scaled_f64_avx2(v.data(), n, -2.5);
    for (int64_t i = 0; i < n; ++i) ASSERT_LE(ulps(v[static_cast<size_t>(i)], std::exp(-2.5 * w[static_cast<size_t>(i)])), 2.0);
  }
}

NodeBuilder ml(const char* op) { return NodeBuilder(op, 1, "ai.onnx.ml"); }

std::vector<float> uniform(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Kernel parameters that keep every kernel's values moderate on inputs in [-1, 1].
std::vector<float> kernel_params(const std::string& kernel) {
  if (kernel == "POLY") return {0.3f, 0.5f, 3};
  if (kernel == "SIGMOID") return {0.2f, -0.1f, 0};
  return {0.15f, 0, 0};
}

TEST(SvmKernel, ClassifierMatchesReference) {
  std::mt19937 rng(21);
  for (const char* kernel : {"RBF", "LINEAR", "POLY", "SIGMOID"}) {
    for (int classes : {2, 3, 5}) {
      for (bool proba : {false, true}) {
        for (const char* post : {"NONE", "SOFTMAX", "LOGISTIC"}) {
          const int64_t cols = 7;
          std::vector<int64_t> vpc;
          int64_t nv = 0;
          for (int c = 0; c < classes; ++c) {
            vpc.push_back(1 + static_cast<int64_t>(rng() % 13));
            nv += vpc.back();
          }
          const int64_t npairs = classes * (classes - 1) / 2;
          std::vector<int64_t> labels;
          for (int c = 0; c < classes; ++c) labels.push_back(10 + c);
          NodeBuilder b = ml("SVMClassifier");
          b.attr_ints("vectors_per_class", vpc)
              .attr_floats("support_vectors", uniform(rng, static_cast<size_t>(nv * cols), -1, 1))
              .attr_floats("coefficients", uniform(rng, static_cast<size_t>((classes - 1) * nv), -2, 2))
              .attr_floats("rho", uniform(rng, static_cast<size_t>(npairs), -0.5f, 0.5f))
              .attr_ints("classlabels_ints", labels)
              .attr_s("kernel_type", kernel)
              .attr_floats("kernel_params", kernel_params(kernel))
              .attr_s("post_transform", post);
          if (proba) {
            b.attr_floats("prob_a", uniform(rng, static_cast<size_t>(npairs), -3, -1))
                .attr_floats("prob_b", uniform(rng, static_cast<size_t>(npairs), -0.2f, 0.2f));
          }
          const ir::Node node = b.build();
          for (int64_t rows : {0, 1, 5, 70, 301}) {
            SCOPED_TRACE(std::string(kernel) + " classes " + std::to_string(classes) + (proba ? " proba " : " ") + post +
                         " rows " + std::to_string(rows));
            expect_matches_reference(node, {random_tensor(DType::kFloat32, {rows, cols}, rng)}, 2, 1e-6, 1e-6);
          }
        }
      }
    }
  }
}

TEST(SvmKernel, RegressorMatchesReferenceOnEveryInputType) {
  std::mt19937 rng(22);
  for (const char* kernel : {"RBF", "LINEAR", "POLY", "SIGMOID"}) {
    for (int64_t nv : {1, 6, 41}) {
      for (bool one_class : {false, true}) {
        const int64_t cols = 5;
        const ir::Node node = ml("SVMRegressor")
                                  .attr_i("n_supports", nv)
                                  .attr_i("one_class", one_class ? 1 : 0)
                                  .attr_floats("support_vectors", uniform(rng, static_cast<size_t>(nv * cols), -1, 1))
                                  .attr_floats("coefficients", uniform(rng, static_cast<size_t>(nv), -2, 2))
                                  .attr_floats("rho", {0.25f})
                                  .attr_s("kernel_type", kernel)
                                  .attr_floats("kernel_params", kernel_params(kernel))
                                  .build();
        for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32}) {
          for (int64_t rows : {1, 9, 300}) {
            SCOPED_TRACE(std::string(kernel) + " vectors " + std::to_string(nv) + " rows " + std::to_string(rows) +
                         " " + std::string(dtype_name(dt)));
            expect_matches_reference(node, {random_tensor(dt, {rows, cols}, rng, -3, 3)}, 1, 1e-6, 1e-6);
          }
        }
      }
    }
  }
}

TEST(SvmKernel, FeatureCountMismatchIsAnError) {
  std::mt19937 rng1(1);
  const ir::Node node = ml("SVMRegressor").attr_i("n_supports", 2).attr_floats("support_vectors", {0, 0, 1, 1})
                            .attr_floats("coefficients", {1, 1}).attr_s("kernel_type", "RBF").build();
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {random_tensor(DType::kFloat32, {3, 3}, rng1)}, 1);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.status().message().find("3 features, the support vectors 2"), std::string::npos) << r.status().to_string();
  }
  // Support vectors that do not divide into n_supports rows are refused when the kernel is made.
  const ir::Node bad = ml("SVMRegressor").attr_i("n_supports", 3).attr_floats("support_vectors", {0, 0, 1, 1})
                           .attr_floats("coefficients", {1, 1, 1}).build();
  auto r = run_node(kernels::Backend::kCpu, bad, {random_tensor(DType::kFloat32, {1, 2}, rng1)}, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().message().find("support_vectors has 4 values for 3 vectors"), std::string::npos) << r.status().to_string();
}

TEST(SquaredDistancesKernel, MatchesReference) {
  std::mt19937 rng(23);
  const ir::Node node = NodeBuilder("SquaredDistances", 1, "com.onnxrt").build();
  for (int64_t k : {0, 1, 6, 20}) {  // 0: no features, every distance 0
    for (int64_t m : {1, 5, 8, 37}) {
      for (int64_t n : {0, 1, 3, 70}) {
        SCOPED_TRACE("n " + std::to_string(n) + " m " + std::to_string(m) + " k " + std::to_string(k));
        const Tensor x = random_tensor(DType::kFloat32, {n, k}, rng, -3, 3);
        const Tensor v = random_tensor(DType::kFloat32, {m, k}, rng, -3, 3);
        // run_node hands V to create() as a constant (packed once); the other path packs per run.
        expect_matches_reference(node, {x, v}, 1, 0, 0);
        expect_matches_reference_without_constants(node, {x, v}, 0);
      }
    }
  }
  auto r = run_node(kernels::Backend::kCpu, node,
                    {random_tensor(DType::kFloat32, {2, 3}, rng), random_tensor(DType::kFloat32, {4, 5}, rng)}, 1);
  ASSERT_FALSE(r.has_value());
}

TEST(LinearModelKernel, MatchesReference) {
  std::mt19937 rng(24);
  const int64_t cols = 9;
  for (int classes : {1, 2, 4}) {
    for (const char* post : {"NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"}) {
      for (int labels : {classes == 1 ? 2 : classes, classes == 1 ? 1 : classes}) {
        for (bool intercepts : {true, false}) {
          std::vector<int64_t> ids;
          for (int c = 0; c < labels; ++c) ids.push_back(3 * c + 1);
          NodeBuilder b = ml("LinearClassifier");
          b.attr_floats("coefficients", uniform(rng, static_cast<size_t>(classes * cols), -1, 1))
              .attr_ints("classlabels_ints", ids)
              .attr_s("post_transform", post);
          if (intercepts) b.attr_floats("intercepts", uniform(rng, static_cast<size_t>(classes), -0.5f, 0.5f));
          const ir::Node node = b.build();
          for (int64_t rows : {0, 1, 63, 65, 300}) {
            SCOPED_TRACE(std::string("classes ") + std::to_string(classes) + " labels " + std::to_string(labels) + " " +
                         post + (intercepts ? " intercepts" : "") + " rows " + std::to_string(rows));
            expect_matches_reference(node, {random_tensor(DType::kFloat32, {rows, cols}, rng, -2, 2)}, 2, 1e-6, 1e-6);
          }
        }
      }
    }
  }
  for (int64_t targets : {1, 3}) {
    const ir::Node node = ml("LinearRegressor")
                              .attr_i("targets", targets)
                              .attr_floats("coefficients", uniform(rng, static_cast<size_t>(targets * cols), -1, 1))
                              .attr_floats("intercepts", uniform(rng, static_cast<size_t>(targets), -1, 1))
                              .build();
    for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32})
      for (int64_t rows : {1, 130}) {
        SCOPED_TRACE("targets " + std::to_string(targets) + " " + std::string(dtype_name(dt)) + " rows " + std::to_string(rows));
        expect_matches_reference(node, {random_tensor(dt, {rows, cols}, rng, -3, 3)}, 1, 1e-6, 1e-6);
      }
  }
}

}  // namespace
}  // namespace onnxrt::testing
