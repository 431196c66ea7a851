// Errors as values. Every fallible function in onnxrt returns Status or Expected<T>; library
// code never throws across this boundary and never aborts on bad input. The Python binding turns
// a failed Status into one exception type per ErrorCode.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace onnxrt {

enum class ErrorCode {
  kOk = 0,
  kInvalidModel,     // the model file or graph is malformed or inconsistent
  kInvalidArgument,  // the caller passed something wrong (input name, shape, dtype, option)
  kNotImplemented,   // valid ONNX, but no kernel or feature for it yet
  kIoError,          // files: missing, unreadable, outside the model directory
  kRuntimeError,     // a failure while running (out of memory, kernel error)
  kInternal,         // a bug in onnxrt: a C++ exception that a check should have prevented
};

const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidModel: <message>"
  std::string to_string() const;
  // Prefixes context ("Softmax 'node_12': ") to the message; keeps the code.
  Status with_context(const std::string& prefix) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status invalid_model(std::string m) { return {ErrorCode::kInvalidModel, std::move(m)}; }
inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status not_implemented(std::string m) { return {ErrorCode::kNotImplemented, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
inline Status runtime_error(std::string m) { return {ErrorCode::kRuntimeError, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT(implicit)
  Expected(Status status) : v_(std::move(status)) {}  // NOLINT(implicit)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return has_value() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace onnxrt

// Early-return helpers used throughout the library.
#define ONNXRT_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::onnxrt::Status _st = (expr);             \
    if (!_st.is_ok()) return _st;              \
  } while (0)

#define ONNXRT_CONCAT_INNER(a, b) a##b
#define ONNXRT_CONCAT(a, b) ONNXRT_CONCAT_INNER(a, b)
#define ONNXRT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.has_value()) return tmp.status();         \
  lhs = std::move(tmp).value()
#define ONNXRT_ASSIGN_OR_RETURN(lhs, expr) \
  ONNXRT_ASSIGN_OR_RETURN_IMPL(ONNXRT_CONCAT(_exp_, __LINE__), lhs, expr)
