// TfIdfVectorizer: counts the pool's n-grams (optionally with skips) in each row of X and writes
// TF, IDF or TF-IDF scores at the n-grams' output indexes.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/attribute.h"
#include "kernels/reference/strings_ops.h"

namespace onnxrt::kernels::strings {

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

enum class Mode { kTf, kIdf, kTfIdf };

class TfIdf final : public Kernel {
 public:
  Mode mode = Mode::kTf;
  int64_t min_n = 1, max_n = 1, max_skip = 0, out_size = 0;
  std::vector<float> weights;
  bool string_pool = false;
  // Tokens are mapped to ids (the int64 value itself, or the string's pool id) so that one map
  // keyed by id sequences serves both pool kinds; a string absent from the pool gets id -1.
  std::unordered_map<std::string, int64_t> string_ids;
  std::map<std::vector<int64_t>, int64_t> ngrams;  // id sequence -> output index

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x) return ctx.error("input 0 (X) is required");
    if (!y) return ctx.error("output 0 (Y) is missing");
    const DType dt = x->dtype();
    if (dt != DType::kString && dt != DType::kInt32 && dt != DType::kInt64)
      return ctx.error("input 0 (X) must be string, int32 or int64, got " + std::string(dtype_name(dt)));
    if ((dt == DType::kString) != string_pool)
      return ctx.error(string_pool ? "input 0 (X) must be a string tensor for pool_strings"
                                   : "input 0 (X) must be an integer tensor for pool_int64s");
    if (x->rank() > 2) return ctx.error("input 0 (X) must have rank 1 or 2, got " + std::to_string(x->rank()));
    const int64_t rows = x->rank() == 2 ? x->dim(0) : 1;
    const int64_t cols = x->rank() == 2 ? x->dim(1) : x->size();
    if (y->size() != rows * out_size)
      return ctx.error("output 0 (Y) has " + std::to_string(y->size()) + " elements, expected " +
                       std::to_string(rows * out_size));
    std::vector<int64_t> ids(static_cast<size_t>(x->size()));
    for (int64_t i = 0; i < x->size(); ++i) {
      if (dt == DType::kString) {
        auto it = string_ids.find(x->data<std::string>()[i]);
        ids[static_cast<size_t>(i)] = it == string_ids.end() ? -1 : it->second;
      } else {
        ids[static_cast<size_t>(i)] = dt == DType::kInt32 ? x->data<int32_t>()[i] : x->data<int64_t>()[i];
      }
    }
    std::vector<int64_t> counts(static_cast<size_t>(out_size));
    std::vector<int64_t> key;
    float* out = y->data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      std::fill(counts.begin(), counts.end(), 0);
      const int64_t* row = ids.data() + r * cols;
      int64_t start_n = min_n;
      // Skip distances past the row's length find no n-gram longer than one (a huge
      // max_skip_count would otherwise loop, or overflow at max_skip + 1).
      const int64_t max_distance = std::min(max_skip, std::max<int64_t>(cols - 1, 0)) + 1;
      for (int64_t d = 1; d <= max_distance && start_n <= max_n; ++d) {
        for (int64_t s = 0; s < cols; ++s) {
          key.clear();
          for (int64_t n = 1, p = s; n <= max_n && p < cols; ++n, p += d) {
            key.push_back(row[p]);
            if (n < start_n) continue;
            auto it = ngrams.find(key);
            if (it != ngrams.end()) ++counts[static_cast<size_t>(it->second)];
          }
        }
        // Unigrams do not depend on the skip distance: count them in the first pass only.
        if (start_n == 1) start_n = 2;
      }
      float* o = out + r * out_size;
      for (int64_t i = 0; i < out_size; ++i) {
        const auto c = static_cast<float>(counts[static_cast<size_t>(i)]);
        const float w = weights.empty() ? 1.0f : weights[static_cast<size_t>(i)];
        switch (mode) {
          case Mode::kTf: o[i] = c; break;
          case Mode::kIdf: o[i] = c > 0 ? w : 0.0f; break;
          case Mode::kTfIdf: o[i] = c * w; break;
        }
      }
    }
    return Status::ok();
  }
};

}  // namespace

KernelPtr make_tfidf_vectorizer(const KernelInit& init) {
  ir::AttrReader a(init.node);
  auto k = std::make_unique<TfIdf>();
  const std::string mode = a.s("mode", "TF");
  k->min_n = a.i("min_gram_length", 1);
  k->max_n = a.i("max_gram_length", 1);
  k->max_skip = a.i("max_skip_count", 0);
  const std::vector<int64_t> counts = a.ints("ngram_counts");
  const std::vector<int64_t> indexes = a.ints("ngram_indexes");
  const std::vector<int64_t> pool_ints = a.ints("pool_int64s");
  const std::vector<std::string> pool_strings = a.strings("pool_strings");
  k->weights = a.floats("weights");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (mode == "TF") k->mode = Mode::kTf;
  else if (mode == "IDF") k->mode = Mode::kIdf;
  else if (mode == "TFIDF") k->mode = Mode::kTfIdf;
  else return init.error("mode must be TF, IDF or TFIDF, got '" + mode + "'");
  if (k->min_n < 1 || k->max_n < k->min_n)
    return init.error("need 1 <= min_gram_length <= max_gram_length, got " + std::to_string(k->min_n) + " and " +
                      std::to_string(k->max_n));
  if (k->max_skip < 0) return init.error("max_skip_count must be >= 0, got " + std::to_string(k->max_skip));
  if (!pool_ints.empty() && !pool_strings.empty())
    return init.error("only one of pool_int64s and pool_strings may be given");
  k->string_pool = !pool_strings.empty();
  if (!k->string_pool && pool_ints.empty() && init.input_types.size() > 0 && init.input_types[0])
    k->string_pool = init.input_types[0]->dtype == DType::kString;
  const auto pool_size = static_cast<int64_t>(k->string_pool ? pool_strings.size() : pool_ints.size());
  for (int64_t v : indexes) {
    if (v < 0 || v == std::numeric_limits<int64_t>::max())
      return init.error("ngram_indexes must be in [0, INT64_MAX), got " + std::to_string(v));
    k->out_size = std::max(k->out_size, v + 1);
  }
  if (!k->weights.empty() && static_cast<int64_t>(k->weights.size()) < k->out_size)
    return init.error("weights has " + std::to_string(k->weights.size()) + " entries for " +
                      std::to_string(k->out_size) + " outputs");
  if (k->string_pool)
    for (size_t i = 0; i < pool_strings.size(); ++i) k->string_ids.emplace(pool_strings[i], static_cast<int64_t>(i));
  // ngram_counts[i] is where the (i+1)-grams start in the pool; they run to the next start.
  size_t gram = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const int64_t n = static_cast<int64_t>(i) + 1;
    const int64_t begin = counts[i];
    const int64_t end = i + 1 < counts.size() ? counts[i + 1] : pool_size;
    if (begin < 0 || end > pool_size || begin > end || (end - begin) % n != 0)
      return init.error("ngram_counts entry " + std::to_string(i) + " (" + std::to_string(begin) +
                        ") does not split a pool of " + std::to_string(pool_size) + " into " +
                        std::to_string(n) + "-grams");
    for (int64_t p = begin; p < end; p += n, ++gram) {
      if (gram >= indexes.size())
        return init.error("ngram_indexes has " + std::to_string(indexes.size()) + " entries, fewer than the pool's n-grams");
      std::vector<int64_t> key;
      for (int64_t j = 0; j < n; ++j) {
        const auto q = static_cast<size_t>(p + j);
        key.push_back(k->string_pool ? k->string_ids.at(pool_strings[q]) : pool_ints[q]);
      }
      k->ngrams.emplace(std::move(key), indexes[gram]);
    }
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace onnxrt::kernels::strings
