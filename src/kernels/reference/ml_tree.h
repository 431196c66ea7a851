// Tree ensembles (TreeEnsembleRegressor, TreeEnsembleClassifier, TreeEnsemble) parsed into one
// form that both backends use: nodes addressed by index, leaves as nodes of mode kLeaf carrying
// (target, weight) pairs. The reference kernel walks this form as it is; the CPU kernel
// (cpu/ml_tree.cc) flattens it further into arrays. Aggregation and the classifier's
// conventions (binary models, labels) live here too so that both backends agree by construction;
// the pinned tests check them against onnxruntime's results.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

enum class NodeMode : uint8_t { kLeq = 0, kLt, kGte, kGt, kEq, kNeq, kMember, kLeaf };
enum class Aggregate { kAverage, kSum, kMin, kMax };

struct TreeNode {
  NodeMode mode = NodeMode::kLeaf;
  bool missing_true = false;  // NaN goes to the true branch
  int64_t feature = 0;
  double value = 0;
  int32_t true_child = -1;  // node indices
  int32_t false_child = -1;
  std::vector<double> members;  // kMember: the set, sorted
  std::vector<std::pair<int64_t, double>> weights;  // kLeaf: (target or class, weight)
};

struct TreeModel {
  std::vector<TreeNode> nodes;
  std::vector<int32_t> roots;
  int64_t n_targets = 1;  // regressors: targets; classifiers: classes scored
  int64_t max_feature = -1;
  Aggregate aggregate = Aggregate::kSum;
  PostTransform post = PostTransform::kNone;
  std::vector<double> base_values;
  bool classifier = false;
  DType out_dtype = DType::kFloat32;  // TreeEnsemble writes X's type
  // classifier only
  ClassLabels labels;
  bool binary_one_score = false;  // two labels, every weight on one class id
  bool weights_all_positive = true;
};

// Parses any of the three ops from the node's attributes; errors name the attribute.
Expected<TreeModel> parse_tree_model(const KernelInit& init);

// Scores of one row, before finalize: sum (or min/max) per target and whether any tree hit it.
struct RowScores {
  std::vector<double> score;
  std::vector<uint8_t> has;
};

// Adds one leaf's weights into the row's scores per the aggregate function.
inline void accumulate_leaf(const TreeModel& m, const TreeNode& leaf, RowScores& rs) {
  for (const auto& [t, w] : leaf.weights) {
    double& s = rs.score[static_cast<size_t>(t)];
    uint8_t& h = rs.has[static_cast<size_t>(t)];
    if (m.aggregate == Aggregate::kMin) s = h ? std::min(s, w) : w;
    else if (m.aggregate == Aggregate::kMax) s = h ? std::max(s, w) : w;
    else s += w;
    h = 1;
  }
}

// Writes row r of the outputs (Y for regressors / TreeEnsemble; label Y and scores Z for
// classifiers). `rs` is consumed.
void finalize_row(const TreeModel& m, RowScores& rs, int64_t r, Tensor* y, Tensor* z);

// Whether the split sends x to the true branch.
inline bool tree_goes_true(const TreeNode& n, double x) {
  if (std::isnan(x)) return n.missing_true;
  switch (n.mode) {
    case NodeMode::kLeq: return x <= n.value;
    case NodeMode::kLt: return x < n.value;
    case NodeMode::kGte: return x >= n.value;
    case NodeMode::kGt: return x > n.value;
    case NodeMode::kEq: return x == n.value;
    case NodeMode::kNeq: return x != n.value;
    case NodeMode::kMember:
      for (double v : n.members)
        if (v == x) return true;
      return false;
    case NodeMode::kLeaf: return false;
  }
  return false;
}

}  // namespace onnxrt::kernels::ml
