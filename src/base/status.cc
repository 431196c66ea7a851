#include "onnxrt/status.h"

namespace onnxrt {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "Ok";
    case ErrorCode::kInvalidModel: return "InvalidModel";
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kNotImplemented: return "NotImplemented";
    case ErrorCode::kIoError: return "IoError";
    case ErrorCode::kRuntimeError: return "RuntimeError";
    case ErrorCode::kInternal: return "InternalError";
  }
  return "Unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "Ok";
  return std::string(error_code_name(code_)) + ": " + message_;
}

Status Status::with_context(const std::string& prefix) const {
  if (is_ok()) return *this;
  return Status(code_, prefix + message_);
}

}  // namespace onnxrt
