// The session profiler (SessionOptions::enable_profiling): collects one event per node run plus
// session-level events (load, each run) and writes them as a Chrome-trace JSON array, the format
// onnxruntime writes, which Perfetto and chrome://tracing open.
//
// Cost model: a run that is not profiled pays one pointer test per node (RunState::hooks). A
// profiled run collects its events in its own RunHooks without locking and hands them to the
// Profiler once, at the end of the run, so concurrent runs do not contend per node.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "onnxrt/status.h"

namespace onnxrt::plan {
struct ExecutionPlan;
struct Step;
}  // namespace onnxrt::plan

namespace onnxrt::runtime {

struct RunState;

using ProfileClock = std::chrono::steady_clock;

struct ProfileEvent {
  std::string name;
  const char* category = "Node";  // "Node" or "Session"
  int64_t ts_us = 0;               // since the profiler started
  int64_t dur_us = 0;
  uint32_t tid = 0;
  std::string args_json;  // the members of the "args" object, already JSON ("" for none)
};

// A small stable number for the calling thread (trace viewers draw one row per tid).
uint32_t profile_thread_id();
// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

class Profiler {
 public:
  // `start` is time zero of the trace (the start of the session's load).
  Profiler(std::string file_prefix, ProfileClock::time_point start);

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  ProfileClock::time_point start() const { return start_; }
  int64_t micros_since_start(ProfileClock::time_point t) const;
  // Nanoseconds since the epoch at which profiling started (onnxruntime's
  // get_profiling_start_time_ns).
  int64_t start_time_ns() const { return start_ns_; }

  // Adds events (thread-safe); dropped once profiling has ended.
  void add(std::vector<ProfileEvent> events);
  void add_session_event(std::string name, ProfileClock::time_point begin, ProfileClock::time_point end);

  // Writes `<prefix>_<YYYY-MM-DD_HH-MM-SS>.json`, stops profiling, returns the path. Calling it
  // again returns an empty path, as onnxruntime does.
  Expected<std::string> end();

 private:
  std::string prefix_;
  ProfileClock::time_point start_;
  int64_t start_ns_ = 0;
  std::atomic<bool> enabled_{true};
  std::mutex mutex_;
  std::vector<ProfileEvent> events_;
};

// Per-run instrumentation that the executor consults once per step. Null in RunState means none.
struct RunHooks {
  Profiler* profiler = nullptr;     // time every step into `events`
  std::vector<ProfileEvent> events;
  // Called after each step ran, before its inputs are released (for intermediate values).
  std::function<void(const plan::ExecutionPlan&, const plan::Step&, const RunState&)> after_step;
};

}  // namespace onnxrt::runtime
