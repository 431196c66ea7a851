// External tensor data. The model names a file relative to its own directory; a model must not
// be able to read arbitrary files, so the resolved path (after symlinks) must stay inside the
// model's directory.
#include <charconv>
#include <filesystem>

#include "onnx/tensor_proto.h"

namespace onnxrt::onnx {
namespace fs = std::filesystem;

namespace {

struct ExternalRef {
  std::string location;
  uint64_t offset = 0;
  bool has_length = false;
  uint64_t length = 0;
};

Expected<uint64_t> parse_u64(std::string_view s, const std::string& what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return invalid_model(what + ": expected a non-negative integer, got '" + std::string(s) + "'");
  }
  return v;
}

Expected<ExternalRef> parse_ref(const TensorProto& t, const std::string& who) {
  ExternalRef ref;
  bool has_location = false;
  for (const auto& e : t.external_data) {
    if (e.key == "location") {
      ref.location = std::string(e.value);
      has_location = true;
    } else if (e.key == "offset") {
      ONNXRT_ASSIGN_OR_RETURN(ref.offset, parse_u64(e.value, who + " external_data offset"));
    } else if (e.key == "length") {
      ONNXRT_ASSIGN_OR_RETURN(ref.length, parse_u64(e.value, who + " external_data length"));
      ref.has_length = true;
    }
  }
  if (!has_location || ref.location.empty()) return invalid_model(who + ": external data without a 'location'");
  return ref;
}

bool is_inside(const fs::path& dir, const fs::path& p) {
  auto d = dir.begin();
  auto q = p.begin();
  for (; d != dir.end(); ++d, ++q) {
    if (d->empty()) continue;  // trailing separator of a directory path
    if (q == p.end() || *d != *q) return false;
  }
  return true;
}

}  // namespace

Expected<ExternalBytes> read_external_data(const TensorProto& t, const ExternalDataContext& ctx) {
  const std::string who = "tensor '" + std::string(t.name) + "'";
  ONNXRT_ASSIGN_OR_RETURN(ExternalRef ref, parse_ref(t, who));
  const std::string where = who + " (external data location '" + ref.location + "')";
  if (ctx.model_dir.empty()) {
    return invalid_argument(where + ": the model was loaded from bytes without a model directory, so external data "
                            "cannot be resolved; load it from a file or pass model_dir");
  }
  const fs::path rel(ref.location);
  if (rel.is_absolute() || ref.location[0] == '/' || ref.location[0] == '\\') {
    return io_error(where + ": absolute paths are not allowed; the location must be relative to the model directory");
  }
  for (const auto& part : rel) {
    if (part == "..") return io_error(where + ": '..' is not allowed in an external data location");
  }
  std::error_code ec;
  const fs::path dir = fs::canonical(fs::path(ctx.model_dir), ec);
  if (ec) return io_error(where + ": cannot resolve model directory '" + ctx.model_dir + "': " + ec.message());
  const fs::path full = fs::canonical(dir / rel, ec);
  if (ec) return io_error(where + ": cannot open '" + (dir / rel).string() + "': " + ec.message());
  if (!is_inside(dir, full)) {
    return io_error(where + ": resolves to '" + full.string() + "', outside the model directory '" + dir.string() + "'");
  }
  const std::string key = full.string();
  std::shared_ptr<MappedFile> file;
  if (auto it = ctx.mapped.find(key); it != ctx.mapped.end()) {
    file = it->second;
  } else {
    auto opened = MappedFile::open(key);
    if (!opened) return opened.status().with_context(where + ": ");
    file = std::move(opened).value();
    ctx.mapped.emplace(key, file);
  }
  const uint64_t size = file->size();
  if (ref.offset > size) {
    return invalid_model(where + ": offset " + std::to_string(ref.offset) + " is beyond the end of the file (" +
                         std::to_string(size) + " bytes)");
  }
  uint64_t length = size - ref.offset;
  if (ref.has_length) {
    if (ref.length > size - ref.offset) {
      return invalid_model(where + ": offset " + std::to_string(ref.offset) + " + length " + std::to_string(ref.length) +
                           " is beyond the end of the file (" + std::to_string(size) + " bytes)");
    }
    length = ref.length;
  }
  ExternalBytes out;
  out.bytes = file->view().substr(static_cast<size_t>(ref.offset), static_cast<size_t>(length));
  out.owner = file;
  out.file = file;
  return out;
}

}  // namespace onnxrt::onnx
