// Einsum: equation parsing (shared with the kernels) and shape inference.
#include "ir/infer_tensor_einsum.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "ir/infer_tensor_util.h"

namespace onnxrt::ir {
namespace einsum {
namespace {

// One term ("ab...c") split into letters and the position of its ellipsis (-1 when none).
struct Term {
  std::vector<int> letters;
  int ellipsis_at = -1;
};

Expected<Term> parse_term(const std::string& s) {
  Term t;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == ' ') {
      ++i;
    } else if (c == '.') {
      if (s.compare(i, 3, "...") != 0)
        return invalid_argument("equation term '" + s + "' has a '.' that is not part of '...'");
      if (t.ellipsis_at >= 0) return invalid_argument("equation term '" + s + "' has two ellipses");
      t.ellipsis_at = static_cast<int>(t.letters.size());
      i += 3;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      t.letters.push_back(static_cast<unsigned char>(c));
      ++i;
    } else {
      return invalid_argument(std::string("equation term '") + s + "' has invalid character '" +
                              c + "' (expected letters, '...' or spaces)");
    }
  }
  return t;
}

std::vector<int> expand(const Term& t, int64_t ell_rank, int64_t max_ell) {
  std::vector<int> out;
  for (size_t i = 0; i <= t.letters.size(); ++i) {
    if (static_cast<int>(i) == t.ellipsis_at)
      for (int64_t k = 0; k < ell_rank; ++k)
        out.push_back(kEllipsisBase + static_cast<int>(max_ell - ell_rank + k));
    if (i < t.letters.size()) out.push_back(t.letters[i]);
  }
  return out;
}

}  // namespace

Expected<Equation> parse(const std::string& equation, const std::vector<int64_t>& ranks) {
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<Term> terms;
  size_t begin = 0;
  while (true) {
    const size_t comma = lhs.find(',', begin);
    ONNXRT_ASSIGN_OR_RETURN(Term t, parse_term(lhs.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin)));
    terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  if (terms.size() != ranks.size())
    return invalid_argument("equation '" + equation + "' has " + std::to_string(terms.size()) +
                            " input terms but the node has " + std::to_string(ranks.size()) +
                            " inputs");
  Equation eq;
  int64_t max_ell = 0;
  std::vector<int64_t> ell_ranks(terms.size(), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    const int64_t n = static_cast<int64_t>(terms[i].letters.size());
    if (terms[i].ellipsis_at < 0 ? ranks[i] != n : ranks[i] < n)
      return invalid_argument("equation term " + std::to_string(i) + " of '" + equation +
                              "' names " + std::to_string(n) + " dims" +
                              (terms[i].ellipsis_at >= 0 ? " plus an ellipsis" : "") +
                              " but input " + std::to_string(i) + " has rank " +
                              std::to_string(ranks[i]));
    ell_ranks[i] = terms[i].ellipsis_at >= 0 ? ranks[i] - n : 0;
    max_ell = std::max(max_ell, ell_ranks[i]);
  }
  std::map<int, int> count;
  for (size_t i = 0; i < terms.size(); ++i) {
    eq.inputs.push_back(expand(terms[i], ell_ranks[i], max_ell));
    for (int l : terms[i].letters) ++count[l];
  }
  if (arrow == std::string::npos) {
    // Implicit output: the ellipsis dims, then the letters used once, in alphabetical order.
    for (int64_t k = 0; k < max_ell; ++k) eq.output.push_back(kEllipsisBase + static_cast<int>(k));
    for (const auto& [l, c] : count)
      if (c == 1) eq.output.push_back(l);
  } else {
    ONNXRT_ASSIGN_OR_RETURN(Term out, parse_term(equation.substr(arrow + 2)));
    eq.output = expand(out, out.ellipsis_at >= 0 ? max_ell : 0, max_ell);
    for (size_t i = 0; i < out.letters.size(); ++i) {
      const int l = out.letters[i];
      if (!count.count(l))
        return invalid_argument("equation '" + equation + "' has output label '" +
                                static_cast<char>(l) + "' that no input has");
      if (std::count(out.letters.begin(), out.letters.end(), l) > 1)
        return invalid_argument("equation '" + equation + "' repeats output label '" +
                                static_cast<char>(l) + "'");
    }
  }
  return eq;
}

}  // namespace einsum

namespace tensor_infer {

Status infer_einsum(InferContext& ctx) {
  AttrReader a(ctx.node());
  const Attribute* eq_attr = a.required("equation", AttrKind::kString);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  DType dt = DType::kUndefined;
  std::vector<int64_t> ranks;
  bool ranked = true;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, "Inputs"));
    const ValueType& t = ctx.input_type(i);
    if (dt == DType::kUndefined) dt = t.dtype;
    if (!t.has_shape) ranked = false;
    else ranks.push_back(t.rank());
  }
  if (!ranked) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(dt);
    return Status::ok();
  }
  auto eq = einsum::parse(eq_attr->s, ranks);
  if (!eq) return ctx.error(eq.status().message());
  std::map<int, Dim> size;
  for (size_t i = 0; i < eq->inputs.size(); ++i) {
    const SymShape& s = ctx.input_type(i).shape;
    for (size_t d = 0; d < s.size(); ++d) {
      const int l = eq->inputs[i][d];
      auto it = size.find(l);
      if (it == size.end()) {
        size[l] = s[d];
        continue;
      }
      Dim& cur = it->second;
      const Dim& x = s[d];
      if (cur == x || (x.is_known() && x.value() == 1)) continue;
      if (cur.is_known() && cur.value() == 1) {
        cur = x;
      } else if (cur.is_known() && x.is_known()) {
        return ctx.error("label " + (l >= einsum::kEllipsisBase ? std::string("of '...'")
                                                                : "'" + std::string(1, static_cast<char>(l)) + "'") +
                         " has size " + std::to_string(cur.value()) + " in one input and " +
                         std::to_string(x.value()) + " in input " + std::to_string(i));
      } else if (!cur.is_known() && x.is_known()) {
        cur = x;
      }
    }
  }
  SymShape out;
  for (int l : eq->output) out.push_back(size[l]);
  ctx.outputs[0] = ValueType::tensor(dt, out);
  return Status::ok();
}

}  // namespace tensor_infer
}  // namespace onnxrt::ir
