// The CPU kernel of the tree ensembles (TreeEnsembleRegressor, TreeEnsembleClassifier,
// TreeEnsemble). create() flattens the parsed model into struct-of-arrays nodes with leaves
// encoded as negative child indices (~leaf), so a walk touches only small arrays. run() splits
// rows over the pool; inside a task rows go in blocks of 64 and trees in the outer loop, so one
// tree's nodes stay in cache while every row of the block walks it.
#include <atomic>
#include <cmath>

#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/reference/ml_tree.h"

namespace onnxrt::kernels::ml {

namespace {

constexpr int64_t kBlock = 64;

struct FlatTrees {
  // interior nodes
  std::vector<int32_t> feature;
  std::vector<double> value;
  std::vector<uint8_t> mode;
  std::vector<uint8_t> missing_true;
  std::vector<int32_t> true_child, false_child;  // >= 0: node; < 0: ~leaf
  std::vector<int32_t> member_begin, member_end;
  std::vector<double> members;
  // leaves: (target, weight) pairs in [leaf_begin[l], leaf_begin[l + 1])
  std::vector<int32_t> leaf_begin;
  std::vector<int32_t> leaf_target;
  std::vector<double> leaf_weight;
  std::vector<int32_t> roots;  // encoded like children
  bool all_leq_no_missing = true;  // the common scikit-learn case gets a branch-light walk
  size_t depth_limit = 0;
};

FlatTrees flatten(const TreeModel& m) {
  FlatTrees f;
  const size_t n = m.nodes.size();
  std::vector<int32_t> code(n);
  int32_t ni = 0, nl = 0;
  for (size_t i = 0; i < n; ++i) code[i] = m.nodes[i].mode == NodeMode::kLeaf ? ~(nl++) : ni++;
  f.feature.resize(static_cast<size_t>(ni));
  f.value.resize(static_cast<size_t>(ni));
  f.mode.resize(static_cast<size_t>(ni));
  f.missing_true.resize(static_cast<size_t>(ni));
  f.true_child.resize(static_cast<size_t>(ni));
  f.false_child.resize(static_cast<size_t>(ni));
  f.member_begin.resize(static_cast<size_t>(ni));
  f.member_end.resize(static_cast<size_t>(ni));
  f.leaf_begin.assign(static_cast<size_t>(nl) + 1, 0);
  std::vector<std::vector<std::pair<int64_t, double>>> leaf_w(static_cast<size_t>(nl));
  for (size_t i = 0; i < n; ++i) {
    const TreeNode& node = m.nodes[i];
    const int32_t c = code[i];
    if (c < 0) {
      leaf_w[static_cast<size_t>(~c)] = node.weights;
      continue;
    }
    const size_t k = static_cast<size_t>(c);
    f.feature[k] = static_cast<int32_t>(node.feature);
    f.value[k] = node.value;
    f.mode[k] = static_cast<uint8_t>(node.mode);
    f.missing_true[k] = node.missing_true;
    f.true_child[k] = code[static_cast<size_t>(node.true_child)];
    f.false_child[k] = code[static_cast<size_t>(node.false_child)];
    f.member_begin[k] = static_cast<int32_t>(f.members.size());
    f.members.insert(f.members.end(), node.members.begin(), node.members.end());
    f.member_end[k] = static_cast<int32_t>(f.members.size());
    if (node.mode != NodeMode::kLeq || node.missing_true) f.all_leq_no_missing = false;
  }
  for (size_t l = 0; l < leaf_w.size(); ++l) {
    f.leaf_begin[l] = static_cast<int32_t>(f.leaf_target.size());
    for (const auto& [t, w] : leaf_w[l]) {
      f.leaf_target.push_back(static_cast<int32_t>(t));
      f.leaf_weight.push_back(w);
    }
  }
  f.leaf_begin[leaf_w.size()] = static_cast<int32_t>(f.leaf_target.size());
  for (int32_t r : m.roots) f.roots.push_back(code[static_cast<size_t>(r)]);
  f.depth_limit = static_cast<size_t>(ni) + 1;
  return f;
}

class CpuTreeKernel final : public Kernel {
 public:
  explicit CpuTreeKernel(TreeModel m) : m_(std::move(m)), f_(flatten(m_)) {}
  const char* variant() const override { return "flat"; }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x) return ctx.error("input 0 (X) is required");
    const DType d = x->dtype();
    if (d != DType::kFloat32 && d != DType::kFloat64 && d != DType::kInt64 && d != DType::kInt32 && d != DType::kFloat16)
      return ctx.error("X must be float, double, float16, int64 or int32, got " + std::string(dtype_name(d)));
    const Features feat = features_of_tensor(*x);
    if (m_.max_feature >= feat.cols)
      return ctx.error("X has " + std::to_string(feat.cols) + " features, the trees read feature " + std::to_string(m_.max_feature));
    Tensor* y = ctx.output(0);
    Tensor* z = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    const int64_t rows = feat.rows, cols = feat.cols;
    const size_t nt = static_cast<size_t>(m_.n_targets);
    const double cost = static_cast<double>(f_.roots.size()) * 8.0 + static_cast<double>(cols);
    std::atomic<bool> cycle{false};
    ctx.threads().parallel_for((rows + kBlock - 1) / kBlock, cost * kBlock, [&](int64_t b0, int64_t b1) {
      std::vector<double> xb(static_cast<size_t>(kBlock * cols));
      std::vector<RowScores> rs(static_cast<size_t>(kBlock), RowScores{std::vector<double>(nt), std::vector<uint8_t>(nt)});
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r0 = b * kBlock;
        const int64_t nr = std::min(kBlock, rows - r0);
        load_rows(*x, feat, r0, nr, xb.data());
        for (int64_t i = 0; i < nr; ++i) {
          std::fill(rs[static_cast<size_t>(i)].score.begin(), rs[static_cast<size_t>(i)].score.end(), 0.0);
          std::fill(rs[static_cast<size_t>(i)].has.begin(), rs[static_cast<size_t>(i)].has.end(), 0);
        }
        for (int32_t root : f_.roots) {
          for (int64_t i = 0; i < nr; ++i) {
            const int32_t leaf = walk(root, xb.data() + i * cols);
            if (leaf == kCycle) {
              cycle = true;
              return;
            }
            accumulate(leaf, rs[static_cast<size_t>(i)]);
          }
        }
        for (int64_t i = 0; i < nr; ++i) finalize_row(m_, rs[static_cast<size_t>(i)], r0 + i, y, z);
      }
    });
    if (cycle) return ctx.error("a tree has a cycle");
    return Status::ok();
  }

 private:
  static constexpr int32_t kCycle = -1;

  static void load_rows(const Tensor& x, const Features& feat, int64_t r0, int64_t nr, double* out) {
    const int64_t n = nr * feat.cols;
    const int64_t base = r0 * feat.cols;
    switch (x.dtype()) {
      case DType::kFloat32: for (int64_t i = 0; i < n; ++i) out[i] = x.data<float>()[base + i]; break;
      case DType::kFloat64: for (int64_t i = 0; i < n; ++i) out[i] = x.data<double>()[base + i]; break;
      case DType::kFloat16: for (int64_t i = 0; i < n; ++i) out[i] = half_to_float(x.data<uint16_t>()[base + i]); break;
      default: for (int64_t i = 0; i < n; ++i) out[i] = feat.at_flat(base + i); break;
    }
  }

  // Returns the leaf index reached from `node` (encoded), or kCycle.
  int32_t walk(int32_t node, const double* x) const {
    size_t steps = 0;
    if (f_.all_leq_no_missing) {
      while (node >= 0) {
        const size_t k = static_cast<size_t>(node);
        // NaN compares false: the false branch, as when no missing-value track is set.
        node = x[f_.feature[k]] <= f_.value[k] ? f_.true_child[k] : f_.false_child[k];
        if (++steps > f_.depth_limit) return kCycle;
      }
      return ~node;
    }
    while (node >= 0) {
      const size_t k = static_cast<size_t>(node);
      const double v = x[f_.feature[k]];
      const double th = f_.value[k];
      bool t;
      if (std::isnan(v)) {
        t = f_.missing_true[k] != 0;
      } else {
        switch (static_cast<NodeMode>(f_.mode[k])) {
          case NodeMode::kLeq: t = v <= th; break;
          case NodeMode::kLt: t = v < th; break;
          case NodeMode::kGte: t = v >= th; break;
          case NodeMode::kGt: t = v > th; break;
          case NodeMode::kEq: t = v == th; break;
          case NodeMode::kNeq: t = v != th; break;
          default: {
            t = false;
            for (int32_t j = f_.member_begin[k]; j < f_.member_end[k]; ++j)
              if (f_.members[static_cast<size_t>(j)] == v) {
                t = true;
                break;
              }
          }
        }
      }
      node = t ? f_.true_child[k] : f_.false_child[k];
      if (++steps > f_.depth_limit) return kCycle;
    }
    return ~node;
  }

  void accumulate(int32_t leaf, RowScores& rs) const {
    for (int32_t j = f_.leaf_begin[static_cast<size_t>(leaf)]; j < f_.leaf_begin[static_cast<size_t>(leaf) + 1]; ++j) {
      const size_t t = static_cast<size_t>(f_.leaf_target[static_cast<size_t>(j)]);
      const double w = f_.leaf_weight[static_cast<size_t>(j)];
      double& s = rs.score[t];
      uint8_t& h = rs.has[t];
      if (m_.aggregate == Aggregate::kMin) s = h ? std::min(s, w) : w;
      else if (m_.aggregate == Aggregate::kMax) s = h ? std::max(s, w) : w;
      else s += w;
      h = 1;
    }
  }

  TreeModel m_;
  FlatTrees f_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_tree_ensemble(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(TreeModel m, parse_tree_model(init));
  return std::unique_ptr<Kernel>(new CpuTreeKernel(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
