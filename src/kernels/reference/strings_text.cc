// Kernels of the string-valued ops: StringNormalizer, StringConcat, StringSplit, RegexFullMatch.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#ifndef ONNXRT_NO_RE2
#include <re2/re2.h>
#endif

#include "ir/attribute.h"
#include "kernels/broadcast.h"
#include "kernels/reference/strings_ops.h"

namespace onnxrt::kernels::strings {

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

// ---------------------------------------------------------------- case mapping
// Case is changed per code point on UTF-8 text: ASCII and Latin-1 letters (U+00C0..U+00FE,
// except the signs U+00D7 and U+00F7) are mapped by hand rather than through towlower, whose
// result depends on the process locale and is not thread-safe to switch. Other code points and
// bytes that are not valid UTF-8 pass through unchanged.

uint32_t lower_cp(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  return c;
}

uint32_t upper_cp(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  return c;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string change_case(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>(upper ? upper_cp(b) : lower_cp(b));
      ++i;
      continue;
    }
    // Only two-byte sequences can hold Latin-1 letters; longer ones are copied as they are.
    if ((b & 0xE0) == 0xC0 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      const uint32_t c = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      append_utf8(out, upper ? upper_cp(c) : lower_cp(c));
      i += 2;
      continue;
    }
    out += s[i];
    ++i;
  }
  return out;
}

// ---------------------------------------------------------------- StringNormalizer

enum class CaseAction { kNone, kLower, kUpper };

class StringNormalizer final : public Kernel {
 public:
  StringNormalizer(CaseAction action, bool case_sensitive, std::vector<std::string> stops)
      : action_(action), case_sensitive_(case_sensitive) {
    for (auto& s : stops) stops_.insert(case_sensitive_ ? s : change_case(s, false));
  }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x || x->dtype() != DType::kString) return ctx.error("input 0 (X) must be a string tensor");
    if (x->rank() != 1 && !(x->rank() == 2 && x->dim(0) == 1))
      return ctx.error("input 0 (X) must have shape [C] or [1, C]");
    const std::string* in = x->data<std::string>();
    std::vector<std::string> kept;
    kept.reserve(static_cast<size_t>(x->size()));
    for (int64_t i = 0; i < x->size(); ++i) {
      const std::string& s = in[i];
      if (!stops_.empty()) {
        const bool stop = case_sensitive_ ? stops_.count(s) > 0 : stops_.count(change_case(s, false)) > 0;
        if (stop) continue;
      }
      switch (action_) {
        case CaseAction::kNone: kept.push_back(s); break;
        case CaseAction::kLower: kept.push_back(change_case(s, false)); break;
        case CaseAction::kUpper: kept.push_back(change_case(s, true)); break;
      }
    }
    // The spec: when every string is filtered out, the output holds one empty string.
    if (kept.empty() && (x->size() > 0 || !stops_.empty())) kept.emplace_back();
    if (x->size() == 0) kept.clear();
    const auto c = static_cast<int64_t>(kept.size());
    Shape shape = x->rank() == 1 ? Shape{c} : Shape{1, c};
    Tensor* y = ctx.output(0);
    if (!y || y->shape() != shape) y = ctx.allocate_output(0, DType::kString, shape);
    if (!y) return ctx.error("could not allocate output 0 (Y)");
    std::string* out = y->data<std::string>();
    for (int64_t i = 0; i < c; ++i) out[i] = std::move(kept[static_cast<size_t>(i)]);
    return Status::ok();
  }

 private:
  CaseAction action_;
  bool case_sensitive_;
  std::unordered_set<std::string> stops_;
};

// ---------------------------------------------------------------- StringConcat

Status string_concat(KernelContext& ctx) {
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  Tensor* z = ctx.output(0);
  if (!a || !b || a->dtype() != DType::kString || b->dtype() != DType::kString)
    return ctx.error("inputs 0 (X) and 1 (Y) must be string tensors");
  if (!z) return ctx.error("output 0 (Z) is missing");
  ONNXRT_ASSIGN_OR_RETURN(Broadcaster bc, Broadcaster::make({a->shape(), b->shape()}, z->shape()));
  const std::string* pa = a->data<std::string>();
  const std::string* pb = b->data<std::string>();
  std::string* pz = z->data<std::string>();
  bc.for_each_run(0, bc.size(), [&](const int64_t* off, int64_t out_off, int64_t n) {
    const int64_t sa = bc.inner_stride(0), sb = bc.inner_stride(1);
    for (int64_t k = 0; k < n; ++k) {
      const std::string& l = pa[off[0] + k * sa];
      const std::string& r = pb[off[1] + k * sb];
      std::string& o = pz[out_off + k];
      o.reserve(l.size() + r.size());
      o.assign(l);
      o.append(r);
    }
  });
  return Status::ok();
}

// ---------------------------------------------------------------- StringSplit

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Python's str.split semantics: with a separator, k separators give k+1 pieces (empty ones
// kept); without, runs of whitespace separate and leading/trailing whitespace gives nothing.
// maxsplit < 0 means unlimited; after maxsplit splits the rest is one piece.
std::vector<std::string_view> split_one(std::string_view s, std::string_view sep, int64_t maxsplit) {
  std::vector<std::string_view> parts;
  int64_t splits = 0;
  if (!sep.empty()) {
    size_t start = 0;
    while (maxsplit < 0 || splits < maxsplit) {
      const size_t p = s.find(sep, start);
      if (p == std::string_view::npos) break;
      parts.push_back(s.substr(start, p - start));
      start = p + sep.size();
      ++splits;
    }
    parts.push_back(s.substr(start));
    return parts;
  }
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  while (i < s.size()) {
    if (maxsplit >= 0 && splits >= maxsplit) {
      // The remainder keeps its inner whitespace but loses trailing whitespace, as in Python.
      size_t end = s.size();
      while (end > i && is_space(s[end - 1])) --end;
      parts.push_back(s.substr(i, end - i));
      break;
    }
    size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    parts.push_back(s.substr(i, j - i));
    ++splits;
    i = j;
    while (i < s.size() && is_space(s[i])) ++i;
  }
  return parts;
}

class StringSplit final : public Kernel {
 public:
  StringSplit(std::string delimiter, int64_t maxsplit) : delimiter_(std::move(delimiter)), maxsplit_(maxsplit) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x || x->dtype() != DType::kString) return ctx.error("input 0 (X) must be a string tensor");
    const std::string* in = x->data<std::string>();
    std::vector<std::vector<std::string_view>> parts(static_cast<size_t>(x->size()));
    int64_t width = 0;
    for (int64_t i = 0; i < x->size(); ++i) {
      parts[static_cast<size_t>(i)] = split_one(in[i], delimiter_, maxsplit_);
      width = std::max(width, static_cast<int64_t>(parts[static_cast<size_t>(i)].size()));
    }
    Shape ys = x->shape();
    ys.push_back(width);
    Tensor* y = ctx.allocate_output(0, DType::kString, ys);
    if (!y) return ctx.error("could not allocate output 0 (Y)");
    std::string* out = y->data<std::string>();
    for (int64_t i = 0; i < x->size(); ++i) {
      const auto& p = parts[static_cast<size_t>(i)];
      for (size_t k = 0; k < p.size(); ++k) out[i * width + static_cast<int64_t>(k)] = std::string(p[k]);
    }
    if (ctx.num_outputs() > 1) {
      Tensor* z = ctx.allocate_output(1, DType::kInt64, x->shape());
      if (z) {
        for (int64_t i = 0; i < x->size(); ++i)
          z->data<int64_t>()[i] = static_cast<int64_t>(parts[static_cast<size_t>(i)].size());
      }
    }
    return Status::ok();
  }

 private:
  std::string delimiter_;
  int64_t maxsplit_;
};

// ---------------------------------------------------------------- RegexFullMatch

#ifndef ONNXRT_NO_RE2
class RegexFullMatch final : public Kernel {
 public:
  explicit RegexFullMatch(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || x->dtype() != DType::kString) return ctx.error("input 0 (X) must be a string tensor");
    if (!y || y->size() != x->size()) return ctx.error("output 0 (Y) must have the shape of X");
    const std::string* in = x->data<std::string>();
    bool* out = y->data<bool>();
    // RE2 objects are thread-safe for matching, so one compiled pattern serves every run.
    for (int64_t i = 0; i < x->size(); ++i) out[i] = re2::RE2::FullMatch(in[i], *re_);
    return Status::ok();
  }

 private:
  std::unique_ptr<re2::RE2> re_;
};
#endif

}  // namespace

KernelPtr make_string_normalizer(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string action = a.s("case_change_action", "NONE");
  const bool case_sensitive = a.i("is_case_sensitive", 0) != 0;
  const std::string locale = a.s("locale", "");
  std::vector<std::string> stops = a.strings("stopwords");
  ONNXRT_RETURN_IF_ERROR(a.status());
  CaseAction act;
  if (action == "NONE") act = CaseAction::kNone;
  else if (action == "LOWER") act = CaseAction::kLower;
  else if (action == "UPPER") act = CaseAction::kUpper;
  else return init.error("case_change_action must be NONE, LOWER or UPPER, got '" + action + "'");
  // Case mapping is locale-independent here (ASCII and Latin-1), which is what en_US gives.
  (void)locale;
  return std::unique_ptr<Kernel>(new StringNormalizer(act, case_sensitive, std::move(stops)));
}

KernelPtr make_string_concat(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&string_concat, "default"));
}

KernelPtr make_string_split(const KernelInit& init) {
  ir::AttrReader a(init.node);
  std::string delimiter = a.s("delimiter", "");
  const int64_t maxsplit = a.i("maxsplit", -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new StringSplit(std::move(delimiter), maxsplit));
}

KernelPtr make_regex_full_match(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string pattern = a.s("pattern", "");
  ONNXRT_RETURN_IF_ERROR(a.status());
#ifndef ONNXRT_NO_RE2
  auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok()) return init.error("invalid regex pattern '" + pattern + "': " + re->error());
  return std::unique_ptr<Kernel>(new RegexFullMatch(std::move(re)));
#else
  return not_implemented(init.node.describe() + ": onnxrt was built without RE2 (pattern '" + pattern + "')");
#endif
}

}  // namespace onnxrt::kernels::strings
