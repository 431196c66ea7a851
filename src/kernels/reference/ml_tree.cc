// Tree ensembles: parsing of the three attribute layouts into TreeModel, the per-row
// finalization (aggregation, base values, post-transform, classifier labels), and the naive
// reference kernel, which walks every tree of every row one node at a time.
#include "kernels/reference/ml_tree.h"

#include <functional>
#include <unordered_map>
#include <utility>

#include "base/half.h"
#include "ir/attribute.h"

namespace onnxrt::kernels::ml {

namespace {

std::vector<double> floats_or_tensor(ir::AttrReader& a, const char* name, const std::string& tensor_name) {
  Tensor t = a.tensor(tensor_name);
  if (t.defined()) return tensor_as_doubles(t);
  std::vector<float> f = a.floats(name);
  return {f.begin(), f.end()};
}

Expected<NodeMode> parse_mode(const KernelInit& init, const std::string& s) {
  if (s == "BRANCH_LEQ") return NodeMode::kLeq;
  if (s == "BRANCH_LT") return NodeMode::kLt;
  if (s == "BRANCH_GTE") return NodeMode::kGte;
  if (s == "BRANCH_GT") return NodeMode::kGt;
  if (s == "BRANCH_EQ") return NodeMode::kEq;
  if (s == "BRANCH_NEQ") return NodeMode::kNeq;
  if (s == "BRANCH_MEMBER") return NodeMode::kMember;
  if (s == "LEAF") return NodeMode::kLeaf;
  return init.error("nodes_modes: unknown mode '" + s + "'");
}

std::string n_str(size_t n) { return std::to_string(n); }

// TreeEnsembleRegressor / TreeEnsembleClassifier (ml opsets 1-5).
Status parse_legacy(const KernelInit& init, TreeModel& m) {
  const bool cls = init.node.op_type == "TreeEnsembleClassifier";
  m.classifier = cls;
  ir::AttrReader a(init.node);
  const auto treeids = a.ints("nodes_treeids");
  const auto nodeids = a.ints("nodes_nodeids");
  const auto featureids = a.ints("nodes_featureids");
  const auto modes = a.strings("nodes_modes");
  const auto values = floats_or_tensor(a, "nodes_values", "nodes_values_as_tensor");
  const auto trues = a.ints("nodes_truenodeids");
  const auto falses = a.ints("nodes_falsenodeids");
  const auto missing = a.ints("nodes_missing_value_tracks_true");
  const char* p = cls ? "class_" : "target_";
  const auto w_tree = a.ints(std::string(p) + "treeids");
  const auto w_node = a.ints(std::string(p) + "nodeids");
  const auto w_id = a.ints(cls ? "class_ids" : "target_ids");
  const auto w_val = floats_or_tensor(a, cls ? "class_weights" : "target_weights",
                                      cls ? "class_weights_as_tensor" : "target_weights_as_tensor");
  m.base_values = floats_or_tensor(a, "base_values", "base_values_as_tensor");
  const std::string post = a.s("post_transform", "NONE");
  const std::string agg = a.s("aggregate_function", "SUM");
  if (cls) {
    m.labels.ints = a.ints("classlabels_int64s");
    m.labels.strings = a.strings("classlabels_strings");
  } else {
    m.n_targets = a.i("n_targets", 1);
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(m.post, parse_post_transform(init, post));
  if (agg == "SUM") m.aggregate = Aggregate::kSum;
  else if (agg == "AVERAGE") m.aggregate = Aggregate::kAverage;
  else if (agg == "MIN") m.aggregate = Aggregate::kMin;
  else if (agg == "MAX") m.aggregate = Aggregate::kMax;
  else return init.error("aggregate_function must be SUM, AVERAGE, MIN or MAX, got '" + agg + "'");

  const size_t n = nodeids.size();
  if (treeids.size() != n || featureids.size() != n || modes.size() != n || values.size() != n ||
      trues.size() != n || falses.size() != n)
    return init.error("nodes_* attributes must all have " + n_str(n) + " entries (nodes_nodeids)");
  if (!missing.empty() && missing.size() != n)
    return init.error("nodes_missing_value_tracks_true has " + n_str(missing.size()) + " entries, expected " + n_str(n));
  if (w_tree.size() != w_node.size() || w_id.size() != w_node.size() || w_val.size() != w_node.size())
    return init.error(std::string(p) + "treeids/nodeids/ids/weights must have the same length");

  // Hash maps: a forest has ~100K nodes and an ordered map was most of its session creation.
  struct PairHash {
    size_t operator()(const std::pair<int64_t, int64_t>& k) const {
      return std::hash<int64_t>()(k.first * int64_t{1000003} ^ k.second);
    }
  };
  std::unordered_map<std::pair<int64_t, int64_t>, int32_t, PairHash> index;
  std::unordered_map<int64_t, int32_t> first_of_tree;
  index.reserve(n);
  std::vector<int64_t> tree_order;
  for (size_t i = 0; i < n; ++i) {
    if (!index.emplace(std::pair(treeids[i], nodeids[i]), static_cast<int32_t>(i)).second)
      return init.error("node (tree " + std::to_string(treeids[i]) + ", id " + std::to_string(nodeids[i]) + ") is defined twice");
    if (first_of_tree.emplace(treeids[i], static_cast<int32_t>(i)).second) tree_order.push_back(treeids[i]);
  }
  m.nodes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    TreeNode& node = m.nodes[i];
    ONNXRT_ASSIGN_OR_RETURN(node.mode, parse_mode(init, modes[i]));
    if (node.mode == NodeMode::kMember) return init.error("nodes_modes: BRANCH_MEMBER is only valid in TreeEnsemble");
    node.feature = featureids[i];
    node.value = values[i];
    node.missing_true = !missing.empty() && missing[i] != 0;
    if (node.mode == NodeMode::kLeaf) continue;
    if (node.feature < 0) return init.error("nodes_featureids[" + n_str(i) + "] is negative");
    m.max_feature = std::max(m.max_feature, node.feature);
    auto t = index.find({treeids[i], trues[i]});
    auto f = index.find({treeids[i], falses[i]});
    if (t == index.end() || f == index.end())
      return init.error("node " + n_str(i) + " of tree " + std::to_string(treeids[i]) + " points to a missing child");
    node.true_child = t->second;
    node.false_child = f->second;
  }
  for (int64_t t : tree_order) m.roots.push_back(first_of_tree[t]);

  int64_t max_id = -1;
  for (size_t k = 0; k < w_node.size(); ++k) {
    if (w_id[k] < 0) return init.error(std::string(p) + "ids[" + n_str(k) + "] is negative");
    max_id = std::max(max_id, w_id[k]);
    auto it = index.find({w_tree[k], w_node[k]});
    if (it == index.end())
      return init.error(std::string(p) + "nodeids[" + n_str(k) + "] names no node (tree " + std::to_string(w_tree[k]) +
                        ", id " + std::to_string(w_node[k]) + ")");
    m.nodes[static_cast<size_t>(it->second)].weights.emplace_back(w_id[k], w_val[k]);
    if (w_val[k] < 0) m.weights_all_positive = false;
  }
  if (cls) {
    const int64_t nl = static_cast<int64_t>(m.labels.size());
    if (nl == 0) return init.error("classlabels_int64s or classlabels_strings is required");
    if (max_id >= std::max<int64_t>(nl, 2))
      return init.error("class_ids has id " + std::to_string(max_id) + " for " + std::to_string(nl) + " classes");
    m.n_targets = std::max<int64_t>(nl, max_id + 1);
    bool one_id = !w_id.empty();
    for (int64_t id : w_id) one_id = one_id && id == w_id[0];
    m.binary_one_score = nl == 2 && one_id;
  } else {
    if (m.n_targets < 1) return init.error("n_targets must be >= 1");
    if (max_id >= m.n_targets)
      return init.error("target_ids has id " + std::to_string(max_id) + " for n_targets " + std::to_string(m.n_targets));
  }
  if (!m.base_values.empty() && static_cast<int64_t>(m.base_values.size()) != m.n_targets &&
      !(cls && m.base_values.size() <= 2))
    return init.error("base_values has " + n_str(m.base_values.size()) + " values, expected " + std::to_string(m.n_targets));
  return Status::ok();
}

// TreeEnsemble (ml opset 5): interior nodes and leaves in separate arrays.
Status parse_v5(const KernelInit& init, TreeModel& m) {
  ir::AttrReader a(init.node);
  const auto featureids = a.ints("nodes_featureids");
  const Tensor splits_t = a.tensor("nodes_splits");
  const Tensor modes_t = a.tensor("nodes_modes");
  const auto trues = a.ints("nodes_truenodeids");
  const auto true_leafs = a.ints("nodes_trueleafs");
  const auto falses = a.ints("nodes_falsenodeids");
  const auto false_leafs = a.ints("nodes_falseleafs");
  const auto missing = a.ints("nodes_missing_value_tracks_true");
  const Tensor members_t = a.tensor("membership_values");
  const auto leaf_targets = a.ints("leaf_targetids");
  const Tensor leaf_w_t = a.tensor("leaf_weights");
  const auto roots = a.ints("tree_roots");
  const int64_t agg = a.i("aggregate_function", 1);
  const int64_t post = a.i("post_transform", 0);
  m.n_targets = a.i("n_targets", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!splits_t.defined() || !modes_t.defined() || !leaf_w_t.defined())
    return init.error("nodes_splits, nodes_modes and leaf_weights are required");
  const std::vector<double> splits = tensor_as_doubles(splits_t);
  const std::vector<double> modes = tensor_as_doubles(modes_t);
  const std::vector<double> leaf_w = tensor_as_doubles(leaf_w_t);
  const std::vector<double> members = members_t.defined() ? tensor_as_doubles(members_t) : std::vector<double>{};
  if (agg < 0 || agg > 3) return init.error("aggregate_function must be 0..3, got " + std::to_string(agg));
  if (post < 0 || post > 4) return init.error("post_transform must be 0..4, got " + std::to_string(post));
  m.aggregate = static_cast<Aggregate>(agg);
  m.post = static_cast<PostTransform>(post);  // same numbering: NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO, PROBIT

  const size_t n = featureids.size();
  const size_t nl = leaf_targets.size();
  if (splits.size() != n || modes.size() != n || trues.size() != n || true_leafs.size() != n ||
      falses.size() != n || false_leafs.size() != n)
    return init.error("nodes_* attributes must all have " + n_str(n) + " entries (nodes_featureids)");
  if (!missing.empty() && missing.size() != n)
    return init.error("nodes_missing_value_tracks_true has " + n_str(missing.size()) + " entries, expected " + n_str(n));
  if (leaf_w.size() != nl) return init.error("leaf_weights has " + n_str(leaf_w.size()) + " entries, expected " + n_str(nl));
  int64_t max_target = -1;
  for (int64_t t : leaf_targets) {
    if (t < 0) return init.error("leaf_targetids has a negative id");
    max_target = std::max(max_target, t);
  }
  if (m.n_targets <= 0) m.n_targets = max_target + 1;
  if (max_target >= m.n_targets)
    return init.error("leaf_targetids has id " + std::to_string(max_target) + " for n_targets " + std::to_string(m.n_targets));

  m.nodes.resize(n + nl);
  size_t member_pos = 0;
  for (size_t i = 0; i < n; ++i) {
    TreeNode& node = m.nodes[i];
    const double md = modes[i];
    if (!(md >= 0 && md <= 6)) return init.error("nodes_modes[" + n_str(i) + "] must be 0..6");
    node.mode = static_cast<NodeMode>(static_cast<int>(md));
    node.feature = featureids[i];
    if (node.feature < 0) return init.error("nodes_featureids[" + n_str(i) + "] is negative");
    m.max_feature = std::max(m.max_feature, node.feature);
    node.value = splits[i];
    node.missing_true = !missing.empty() && missing[i] != 0;
    // Each BRANCH_MEMBER node takes the next NaN-terminated run of membership_values.
    if (node.mode == NodeMode::kMember) {
      if (member_pos >= members.size()) return init.error("membership_values has no set for member node " + n_str(i));
      while (member_pos < members.size() && !std::isnan(members[member_pos])) node.members.push_back(members[member_pos++]);
      ++member_pos;
    }
    auto child = [&](int64_t id, int64_t is_leaf, int32_t& out) -> Status {
      const size_t limit = is_leaf ? nl : n;
      if (id < 0 || static_cast<size_t>(id) >= limit)
        return init.error("node " + n_str(i) + " points to " + (is_leaf ? "leaf " : "node ") + std::to_string(id) +
                          ", out of range");
      out = static_cast<int32_t>(is_leaf ? n + static_cast<size_t>(id) : static_cast<size_t>(id));
      return Status::ok();
    };
    ONNXRT_RETURN_IF_ERROR(child(trues[i], true_leafs[i], node.true_child));
    ONNXRT_RETURN_IF_ERROR(child(falses[i], false_leafs[i], node.false_child));
  }
  for (size_t j = 0; j < nl; ++j) {
    TreeNode& leaf = m.nodes[n + j];
    leaf.mode = NodeMode::kLeaf;
    leaf.weights.emplace_back(leaf_targets[j], leaf_w[j]);
  }
  for (int64_t r : roots) {
    if (r < 0 || static_cast<size_t>(r) >= n) return init.error("tree_roots has " + std::to_string(r) + ", out of range");
    m.roots.push_back(static_cast<int32_t>(r));
  }
  m.out_dtype = init.input_types.empty() || !init.input_types[0] ? DType::kFloat32 : init.input_types[0]->dtype;
  return Status::ok();
}

void write_out(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat64: t.data<double>()[i] = v; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    default: t.data<float>()[i] = static_cast<float>(v); break;
  }
}

// Labels are argmax over the raw scores (the transforms are monotonic); ties go to the first.
int64_t argmax(const std::vector<double>& s, int64_t n) {
  int64_t best = 0;
  for (int64_t k = 1; k < n; ++k)
    if (s[static_cast<size_t>(k)] > s[static_cast<size_t>(best)]) best = k;
  return best;
}

void finalize_classifier(const TreeModel& m, RowScores& rs, int64_t r, Tensor* y, Tensor* z) {
  std::vector<double>& s = rs.score;
  const int64_t nl = static_cast<int64_t>(m.labels.size());
  double out2[2];
  const double* zrow = nullptr;
  int64_t zcols = 0;
  if (m.binary_one_score) {
    // onnxruntime's binary case: one score s for the positive class. With all weights positive
    // s is a probability ([1-s, s], label at 0.5); else a margin ([-s, s] or, with LOGISTIC,
    // [sigmoid(-s), sigmoid(s)]; label at 0).
    size_t cid = 0;
    for (size_t k = 0; k < s.size(); ++k)
      if (rs.has[k]) cid = k;
    double v = s[cid];
    if (m.base_values.size() == 2) v += m.base_values[cid];
    else if (m.base_values.size() == 1) v += m.base_values[0];
    bool positive;
    if (m.weights_all_positive) {
      positive = v > 0.5;
      out2[0] = 1 - v;
      out2[1] = v;
    } else {
      positive = v > 0;
      if (m.post == PostTransform::kLogistic) {
        out2[0] = ml_logistic(-v);
        out2[1] = ml_logistic(v);
      } else if (m.post == PostTransform::kProbit) {
        out2[0] = ml_probit(-v);
        out2[1] = ml_probit(v);
      } else {
        out2[0] = -v;
        out2[1] = v;
        if (m.post != PostTransform::kNone) post_transform_row(out2, 2, m.post);
      }
    }
    if (y) write_label(*y, r, m.labels, positive ? 1 : 0);
    zrow = out2;
    zcols = 2;
  } else if (nl == 1) {
    // One label: a single score for it, widened to two columns like the ONNX reference.
    double v = s[0] + (m.base_values.empty() ? 0.0 : m.base_values[0]);
    out2[1] = v;
    out2[0] = (m.post == PostTransform::kNone || m.post == PostTransform::kProbit) ? 1 - v : -v;
    post_transform_row(out2, 2, m.post);
    if (y) write_label(*y, r, m.labels, out2[1] > out2[0] ? 0 : -1, 0);
    zrow = out2;
    zcols = 2;
  } else {
    for (int64_t k = 0; k < nl && k < static_cast<int64_t>(m.base_values.size()); ++k) s[static_cast<size_t>(k)] += m.base_values[static_cast<size_t>(k)];
    if (y) write_label(*y, r, m.labels, argmax(s, nl));
    post_transform_row(s.data(), nl, m.post);
    zrow = s.data();
    zcols = nl;
  }
  if (z)
    for (int64_t k = 0; k < zcols && k < z->dim(1); ++k) write_out(*z, r * z->dim(1) + k, zrow[k]);
}

}  // namespace

Expected<TreeModel> parse_tree_model(const KernelInit& init) {
  TreeModel m;
  if (init.node.op_type == "TreeEnsemble") {
    ONNXRT_RETURN_IF_ERROR(parse_v5(init, m));
  } else {
    ONNXRT_RETURN_IF_ERROR(parse_legacy(init, m));
  }
  if (!m.classifier && !m.base_values.empty() && static_cast<int64_t>(m.base_values.size()) != m.n_targets)
    return init.error("base_values has " + n_str(m.base_values.size()) + " values, expected " + std::to_string(m.n_targets));
  return m;
}

void finalize_row(const TreeModel& m, RowScores& rs, int64_t r, Tensor* y, Tensor* z) {
  if (m.classifier) {
    finalize_classifier(m, rs, r, y, z);
    return;
  }
  const int64_t nt = m.n_targets;
  std::vector<double>& s = rs.score;
  const double n_trees = static_cast<double>(m.roots.size());
  for (int64_t t = 0; t < nt; ++t) {
    double& v = s[static_cast<size_t>(t)];
    if (m.aggregate == Aggregate::kAverage && n_trees > 0) v /= n_trees;
    if (!m.base_values.empty()) v += m.base_values[static_cast<size_t>(t)];
  }
  post_transform_row(s.data(), nt, m.post);
  if (y)
    for (int64_t t = 0; t < nt; ++t) write_out(*y, r * nt + t, s[static_cast<size_t>(t)]);
}

namespace {

class ReferenceTreeKernel final : public Kernel {
 public:
  explicit ReferenceTreeKernel(TreeModel m) : m_(std::move(m)) {}
  const char* variant() const override { return "reference"; }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x) return ctx.error("input 0 (X) is required");
    Features f;
    if (x->dtype() == DType::kFloat16) {
      // Widen once so that the walk below reads one type.
      float* buf = static_cast<float*>(ctx.scratch(static_cast<size_t>(x->size()) * sizeof(float) + 1));
      for (int64_t i = 0; i < x->size(); ++i) buf[i] = half_to_float(x->data<uint16_t>()[i]);
      f = features_of_tensor(*x);
      f.dtype = DType::kFloat32;
      f.data = buf;
    } else {
      ONNXRT_ASSIGN_OR_RETURN(f, features_of(ctx, 0));
    }
    if (m_.max_feature >= f.cols)
      return ctx.error("X has " + std::to_string(f.cols) + " features, the trees read feature " + std::to_string(m_.max_feature));
    Tensor* y = ctx.output(0);
    Tensor* z = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    const size_t nt = static_cast<size_t>(m_.n_targets);
    for (int64_t r = 0; r < f.rows; ++r) {
      RowScores rs{std::vector<double>(nt, 0.0), std::vector<uint8_t>(nt, 0)};
      for (int32_t root : m_.roots) {
        int32_t idx = root;
        size_t steps = 0;
        while (m_.nodes[static_cast<size_t>(idx)].mode != NodeMode::kLeaf) {
          const TreeNode& node = m_.nodes[static_cast<size_t>(idx)];
          idx = tree_goes_true(node, f.at(r, node.feature)) ? node.true_child : node.false_child;
          if (++steps > m_.nodes.size()) return ctx.error("a tree has a cycle");
        }
        accumulate_leaf(m_, m_.nodes[static_cast<size_t>(idx)], rs);
      }
      finalize_row(m_, rs, r, y, z);
    }
    return Status::ok();
  }

 private:
  TreeModel m_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_reference_tree_ensemble(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(TreeModel m, parse_tree_model(init));
  return std::unique_ptr<Kernel>(new ReferenceTreeKernel(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
