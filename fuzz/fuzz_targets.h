// The bodies of the libFuzzer targets, callable without libFuzzer: tests/unit/test_fuzz_replay.cc
// feeds every file of tests/data/fuzz_regressions/<target>/ through the same code in the normal
// test build (and under ASan/UBSan in `make test-sanitize`). Each returns 0; a bug shows as a
// crash, a sanitizer report or a hang, never as a return value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "onnxrt/status.h"

namespace onnxrt::fuzz {

// Parse, write and re-parse arbitrary bytes (fuzz_reader.cc).
int reader_one_input(const uint8_t* data, size_t size);
// Load arbitrary bytes as a model and run it once on zero-filled small inputs (fuzz_session.cc).
int session_one_input(const uint8_t* data, size_t size);
// Model bytes plus an 8-byte trailer seeding small random inputs; load and run (fuzz_run.cc).
int run_one_input(const uint8_t* data, size_t size);

// The engine turns a C++ exception that escapes a kernel or the loader into an InternalError so
// that users' processes survive it; it is still a bug (a missing check that would have named the
// problem). With ONNXRT_FUZZ_STRICT set (make fuzz) such an error is a finding; the smoke run in
// make test leaves it an error, since its runs are not reproducible.
inline void check_not_internal(const onnxrt::Status& status) {
  static const bool strict = std::getenv("ONNXRT_FUZZ_STRICT") != nullptr;
  if (strict && status.code() == onnxrt::ErrorCode::kInternal) {
    std::fprintf(stderr, "InternalError (an escaped C++ exception): %s\n", status.message().c_str());
    std::abort();
  }
}

}  // namespace onnxrt::fuzz
