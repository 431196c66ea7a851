#include "runtime/profiler.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace onnxrt::runtime {

uint32_t profile_thread_id() {
  static std::atomic<uint32_t> next{1};
  thread_local const uint32_t id = next.fetch_add(1, std::memory_order_relaxed);
  return id;
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;  // bytes >= 0x80 pass through: node names are UTF-8 in valid models
        }
    }
  }
  out += '"';
  return out;
}

Profiler::Profiler(std::string file_prefix, ProfileClock::time_point start)
    : prefix_(std::move(file_prefix)), start_(start) {
  const auto since_start = ProfileClock::now() - start;
  start_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch() - since_start)
                  .count();
}

int64_t Profiler::micros_since_start(ProfileClock::time_point t) const {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - start_).count();
}

void Profiler::add(std::vector<ProfileEvent> events) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!enabled()) return;
  if (events_.empty()) {
    events_ = std::move(events);
  } else {
    events_.insert(events_.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  }
}

void Profiler::add_session_event(std::string name, ProfileClock::time_point begin, ProfileClock::time_point end) {
  ProfileEvent e;
  e.name = std::move(name);
  e.category = "Session";
  e.ts_us = micros_since_start(begin);
  e.dur_us = std::chrono::duration_cast<std::chrono::microseconds>(end - begin).count();
  e.tid = profile_thread_id();
  std::vector<ProfileEvent> one;
  one.push_back(std::move(e));
  add(std::move(one));
}

Expected<std::string> Profiler::end() {
  std::vector<ProfileEvent> events;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!enabled()) return std::string();
    enabled_.store(false, std::memory_order_relaxed);
    events.swap(events_);
  }
  // onnxruntime's naming: <prefix>_<local date>_<local time>.json.
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d_%H-%M-%S", &local);
  const std::string path = prefix_ + "_" + stamp + ".json";

  const int pid = static_cast<int>(getpid());
  std::string json = "[\n";
  for (size_t i = 0; i < events.size(); ++i) {
    const ProfileEvent& e = events[i];
    json += "{\"cat\":";
    json += json_quote(e.category);
    json += ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(e.tid) +
            ",\"dur\":" + std::to_string(e.dur_us) + ",\"ts\":" + std::to_string(e.ts_us) + ",\"ph\":\"X\",\"name\":";
    json += json_quote(e.name);
    json += ",\"args\":{" + e.args_json + "}}";
    json += i + 1 < events.size() ? ",\n" : "\n";
  }
  json += "]\n";

  std::FILE* f = std::fopen(path.c_str(), "wb");
  const bool ok = f && std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (f && std::fclose(f) != 0) return io_error("cannot write the profile to '" + path + "'");
  if (!ok) return io_error("cannot write the profile to '" + path + "'");
  return path;
}

}  // namespace onnxrt::runtime
