// The bodies of the libFuzzer targets, callable without libFuzzer: tests/unit/test_fuzz_replay.cc
// feeds every file of tests/data/fuzz_regressions/<target>/ through the same code in the normal
// test build (and under ASan/UBSan in `make test-sanitize`). Each returns 0; a bug shows as a
// crash, a sanitizer report or a hang, never as a return value.
#pragma once

#include <cstddef>
#include <cstdint>

namespace onnxrt::fuzz {

// Parse, write and re-parse arbitrary bytes (fuzz_reader.cc).
int reader_one_input(const uint8_t* data, size_t size);
// Load arbitrary bytes as a model and run it once on zero-filled small inputs (fuzz_session.cc).
int session_one_input(const uint8_t* data, size_t size);
// Model bytes plus an 8-byte trailer seeding small random inputs; load and run (fuzz_run.cc).
int run_one_input(const uint8_t* data, size_t size);

}  // namespace onnxrt::fuzz
