// Replays fuzz inputs through the fuzz targets' own code without libFuzzer:
//   onnxrt_fuzz_replay DIR...
// Each DIR holds reader/, session/ and run/ subdirectories (tests/data/fuzz_regressions/ is the
// checked-in one: every input that once crashed, leaked or hung a target). Passing means no
// crash, no sanitizer report (in the ASan/UBSan build) and no input slower than the time limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_targets.h"

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> g_dirs;

// A timeout finding is a run the fuzzer stopped after 10 s (-timeout=10); allow slack for the
// sanitizer build and a loaded machine.
constexpr double kMaxSecondsPerInput = 30.0;

using Target = int (*)(const uint8_t*, size_t);

// Returns how many files were replayed.
int replay(const std::string& sub, Target target) {
  int count = 0;
  for (const fs::path& dir : g_dirs) {
    const fs::path d = dir / sub;
    if (!fs::is_directory(d)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(d))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      // Named before running, so a crash's output says which input it was.
      std::fprintf(stderr, "[replay] %s\n", f.string().c_str());
      const auto start = std::chrono::steady_clock::now();
      target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_LT(seconds, kMaxSecondsPerInput) << f;
      ++count;
    }
  }
  return count;
}

TEST(FuzzReplay, Reader) { replay("reader", onnxrt::fuzz::reader_one_input); }
TEST(FuzzReplay, Session) { replay("session", onnxrt::fuzz::session_one_input); }
TEST(FuzzReplay, Run) { replay("run", onnxrt::fuzz::run_one_input); }

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) g_dirs.emplace_back(argv[i]);
  if (g_dirs.empty()) {
    std::fprintf(stderr, "usage: %s DIR... (each with reader/, session/, run/)\n", argv[0]);
    return 2;
  }
  for (const fs::path& d : g_dirs) {
    if (!fs::is_directory(d)) {
      std::fprintf(stderr, "%s: not a directory\n", d.string().c_str());
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
