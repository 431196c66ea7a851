// The CPU kernel of the tree ensembles (TreeEnsembleRegressor, TreeEnsembleClassifier,
// TreeEnsemble). run() splits rows over the pool; inside a task rows go in blocks of 64 and trees
// in the outer loop, so one tree's nodes stay in cache while every row of the block walks it.
//
// Two layouts, chosen in create():
// - Packed (the common case: every split is one comparison, e.g. scikit-learn's BRANCH_LEQ, or
//   LightGBM/XGBoost's BRANCH_LT with uniform missing tracks): each tree is laid out breadth-first
//   as 16-byte nodes {threshold, feature, child}, the two children of a node adjacent, so a step is
//   one load and `child + comparison` with no branch. The child at offset 0 is the one NaN goes to
//   (the comparison is chosen so that NaN compares false), and a leaf is a node whose threshold is
//   NaN and whose child is itself, so it stays put. That lets 8 rows walk one tree in lock step
//   for exactly the tree's depth: their loads are independent, so the CPU overlaps the cache misses
//   a single walk would wait for one after the other (walks are latency bound, not compute bound).
//   Rows that do not fill a group of 8 (a batch of one) walk 8 trees in lock step instead.
// - Flat (any mix of modes, EQ/NEQ/MEMBER, per-node missing tracks): struct-of-arrays nodes with
//   leaves encoded as negative child indices (~leaf), walked one row at a time with a step limit
//   that catches cycles.
// Both accumulate trees in model order, so sums are bit-identical to the reference kernel's.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/reference/ml_tree.h"

namespace onnxrt::kernels::ml {

namespace {

constexpr int64_t kBlock = 64;
constexpr int kLanes = 8;  // rows walking one tree together in the packed layout

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
  std::vector<int32_t> code;  // model node -> encoded index (>= 0 interior, ~leaf for leaves)
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
  f.code = std::move(code);
  return f;
}

// The comparison every split of a packed ensemble uses; NaN compares false under each.
enum class Cmp : uint8_t { kLeq, kLt, kGte, kGt };

struct PackedNode {
  double threshold;  // NaN for a leaf
  int32_t feature;   // 0 for a leaf (a valid column whenever its tree has a split)
  int32_t child;     // child taken when the comparison is false (and for NaN); +1 when true. Leaf: itself.
};
static_assert(sizeof(PackedNode) == 16);

struct PackedTrees {
  bool usable = false;
  Cmp cmp = Cmp::kLeq;
  std::vector<PackedNode> nodes;
  std::vector<int32_t> leaf;   // packed node -> leaf index in FlatTrees' leaf tables (-1: interior)
  std::vector<int32_t> roots;  // packed index of each tree's root, in model order
  std::vector<int32_t> depth;  // longest root-to-leaf path of each tree, in splits
};

// The comparison that sends x to offset 1 for a node of mode `mode`; `swapped` says the true
// branch sits at offset 0. Without a missing track NaN takes the false branch, so the comparison is
// the mode itself; with one NaN takes the true branch, so the comparison is the mode's negation
// (which NaN also fails) and the children swap. EQ/NEQ/MEMBER have no such form.
bool normalized_cmp(NodeMode mode, bool missing_true, Cmp& cmp, bool& swapped) {
  static constexpr Cmp kNegated[] = {Cmp::kGt, Cmp::kGte, Cmp::kLt, Cmp::kLeq};  // of Leq, Lt, Gte, Gt
  Cmp c;
  switch (mode) {
    case NodeMode::kLeq: c = Cmp::kLeq; break;
    case NodeMode::kLt: c = Cmp::kLt; break;
    case NodeMode::kGte: c = Cmp::kGte; break;
    case NodeMode::kGt: c = Cmp::kGt; break;
    default: return false;
  }
  swapped = missing_true;
  cmp = missing_true ? kNegated[static_cast<int>(c)] : c;
  return true;
}

// Lays every tree out breadth-first. Returns an unusable layout when splits need more than one
// comparison, or when a tree is not a tree (a cycle, or shared subtrees that would be copied many
// times over): the flat walk handles those.
PackedTrees pack(const TreeModel& m, const FlatTrees& f) {
  PackedTrees p;
  bool have_cmp = false;
  const size_t budget = 2 * m.nodes.size() + 16;
  std::vector<std::pair<int32_t, int32_t>> queue;  // (model node, depth), this tree's
  for (int32_t root : m.roots) {
    const int32_t base = static_cast<int32_t>(p.nodes.size());
    p.roots.push_back(base);
    int32_t depth = 0;
    queue.assign(1, {root, 0});
    p.nodes.push_back({});
    p.leaf.push_back(-1);
    // queue[k] is placed at base + k: children are appended in pairs as their parent is visited.
    for (size_t k = 0; k < queue.size(); ++k) {
      const auto [mi, d] = queue[k];
      const TreeNode& node = m.nodes[static_cast<size_t>(mi)];
      const size_t at = static_cast<size_t>(base) + k;
      if (node.mode == NodeMode::kLeaf) {
        p.nodes[at] = {std::numeric_limits<double>::quiet_NaN(), 0, static_cast<int32_t>(at)};
        p.leaf[at] = ~f.code[static_cast<size_t>(mi)];
        depth = std::max(depth, d);
        continue;
      }
      Cmp c;
      bool swapped;
      if (!normalized_cmp(node.mode, node.missing_true, c, swapped) || (have_cmp && c != p.cmp)) return {};
      // A NaN threshold fails every comparison, which picks offset 0: right only when unswapped.
      if (std::isnan(node.value) && swapped) return {};
      p.cmp = c;
      have_cmp = true;
      if (p.nodes.size() + 2 > budget) return {};
      const int32_t first = swapped ? node.true_child : node.false_child;
      const int32_t second = swapped ? node.false_child : node.true_child;
      p.nodes[at] = {node.value, static_cast<int32_t>(node.feature), static_cast<int32_t>(p.nodes.size())};
      for (int32_t c2 : {first, second}) {
        queue.emplace_back(c2, d + 1);
        p.nodes.push_back({});
        p.leaf.push_back(-1);
      }
    }
    p.depth.push_back(depth);
  }
  p.usable = true;
  return p;
}

template <Cmp C>
inline bool compare(double v, double th) {
  if constexpr (C == Cmp::kLeq) return v <= th;
  else if constexpr (C == Cmp::kLt) return v < th;
  else if constexpr (C == Cmp::kGte) return v >= th;
  else return v > th;
}

template <Cmp C, typename T>
inline int32_t step(const PackedNode* nodes, int32_t i, const T* x) {
  const PackedNode& n = nodes[i];
  return n.child + static_cast<int32_t>(compare<C>(static_cast<double>(x[n.feature]), n.threshold));
}

// Leaf index reached by each of rows [0, nr) of `x` (row stride `cols`, nr a multiple of kLanes)
// in the tree at `root`: kLanes rows walk in lock step.
template <Cmp C, typename T>
void walk_rows(const PackedTrees& p, int32_t root, int32_t depth, const T* x, int64_t cols, int64_t nr, int32_t* leaf) {
  const PackedNode* nodes = p.nodes.data();
  for (int64_t r = 0; r + kLanes <= nr; r += kLanes) {
    int32_t idx[kLanes];
    const T* row[kLanes];
    for (int j = 0; j < kLanes; ++j) {
      idx[j] = root;
      row[j] = x + (r + j) * cols;
    }
    for (int32_t s = 0; s < depth; ++s)
      for (int j = 0; j < kLanes; ++j) idx[j] = step<C>(nodes, idx[j], row[j]);
    for (int j = 0; j < kLanes; ++j) leaf[r + j] = p.leaf[static_cast<size_t>(idx[j])];
  }
}

// Leaf index reached by one row in each of trees [t0, t0 + kLanes): for the rows that do not fill
// a group of kLanes (a batch of one, above all), the lanes are trees instead. Lanes past the last
// tree repeat it; their leaves are not used.
template <Cmp C, typename T>
void walk_trees(const PackedTrees& p, size_t t0, const T* row, int32_t* leaf) {
  const PackedNode* nodes = p.nodes.data();
  const size_t last = p.roots.size() - 1;
  int32_t idx[kLanes];
  int32_t depth = 0;
  for (int j = 0; j < kLanes; ++j) {
    const size_t t = std::min(t0 + static_cast<size_t>(j), last);
    idx[j] = p.roots[t];
    depth = std::max(depth, p.depth[t]);
  }
  for (int32_t s = 0; s < depth; ++s)
    for (int j = 0; j < kLanes; ++j) idx[j] = step<C>(nodes, idx[j], row);
  for (int j = 0; j < kLanes; ++j) leaf[j] = p.leaf[static_cast<size_t>(idx[j])];
}

class CpuTreeKernel final : public Kernel {
 public:
  explicit CpuTreeKernel(TreeModel m) : m_(std::move(m)), f_(flatten(m_)), p_(pack(m_, f_)) {}
  const char* variant() const override { return p_.usable ? "packed" : "flat"; }

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
    const int64_t block = std::min(kBlock, std::max<int64_t>(rows, 1));
    std::atomic<bool> cycle{false};
    ctx.threads().parallel_for((rows + kBlock - 1) / kBlock, cost * kBlock, [&](int64_t b0, int64_t b1) {
      // Float and double X are walked in place; other types are widened a block at a time.
      const bool in_place = d == DType::kFloat32 || d == DType::kFloat64;
      std::vector<double> xb(in_place ? 0 : static_cast<size_t>(block * cols));
      std::vector<int32_t> leaves(static_cast<size_t>(block));
      std::vector<RowScores> rs(static_cast<size_t>(block), RowScores{std::vector<double>(nt), std::vector<uint8_t>(nt)});
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r0 = b * kBlock;
        const int64_t nr = std::min(kBlock, rows - r0);
        if (!in_place) load_rows(*x, feat, r0, nr, xb.data());
        for (int64_t i = 0; i < nr; ++i) {
          std::fill(rs[static_cast<size_t>(i)].score.begin(), rs[static_cast<size_t>(i)].score.end(), 0.0);
          std::fill(rs[static_cast<size_t>(i)].has.begin(), rs[static_cast<size_t>(i)].has.end(), 0);
        }
        if (p_.usable) {
          if (d == DType::kFloat32) walk_packed(x->data<float>() + r0 * cols, cols, nr, leaves.data(), rs.data());
          else if (d == DType::kFloat64) walk_packed(x->data<double>() + r0 * cols, cols, nr, leaves.data(), rs.data());
          else walk_packed(xb.data(), cols, nr, leaves.data(), rs.data());
        } else {
          if (in_place) {
            xb.resize(static_cast<size_t>(block * cols));
            load_rows(*x, feat, r0, nr, xb.data());
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
        }
        for (int64_t i = 0; i < nr; ++i) finalize_row(m_, rs[static_cast<size_t>(i)], r0 + i, y, z);
      }
    });
    if (cycle) return ctx.error("a tree has a cycle");
    return Status::ok();
  }

 private:
  static constexpr int32_t kCycle = -1;

  // Rows [0, nr) of a block through every tree, accumulated into rs in tree order: full groups
  // of kLanes rows tree by tree, the remaining rows with the trees as lanes.
  template <typename T>
  void walk_packed(const T* x, int64_t cols, int64_t nr, int32_t* leaves, RowScores* rs) const {
    switch (p_.cmp) {
      case Cmp::kLeq: return walk_packed<Cmp::kLeq>(x, cols, nr, leaves, rs);
      case Cmp::kLt: return walk_packed<Cmp::kLt>(x, cols, nr, leaves, rs);
      case Cmp::kGte: return walk_packed<Cmp::kGte>(x, cols, nr, leaves, rs);
      case Cmp::kGt: return walk_packed<Cmp::kGt>(x, cols, nr, leaves, rs);
    }
  }
  template <Cmp C, typename T>
  void walk_packed(const T* x, int64_t cols, int64_t nr, int32_t* leaves, RowScores* rs) const {
    const size_t nt = p_.roots.size();
    const int64_t full = nr / kLanes * kLanes;
    if (full > 0) {
      for (size_t t = 0; t < nt; ++t) {
        walk_rows<C>(p_, p_.roots[t], p_.depth[t], x, cols, full, leaves);
        for (int64_t i = 0; i < full; ++i) accumulate(leaves[i], rs[i]);
      }
    }
    for (int64_t i = full; i < nr; ++i) {
      int32_t group[kLanes];
      for (size_t t0 = 0; t0 < nt; t0 += kLanes) {
        walk_trees<C>(p_, t0, x + i * cols, group);
        for (size_t j = 0; j < static_cast<size_t>(kLanes) && t0 + j < nt; ++j) accumulate(group[j], rs[i]);
      }
    }
  }

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
  PackedTrees p_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_tree_ensemble(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(TreeModel m, parse_tree_model(init));
  return std::unique_ptr<Kernel>(new CpuTreeKernel(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
