#include "bench/loadgen/load_report.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace jobcontrol {
namespace bench {
namespace {

// Nearest rank: the smallest sample with at least `fraction` of all samples
// at or below it.
double PercentileUs(const std::vector<int64_t>& sorted_ns, double fraction) {
  size_t rank = static_cast<size_t>(
      std::ceil(fraction * static_cast<double>(sorted_ns.size())));
  rank = std::clamp<size_t>(rank, 1, sorted_ns.size());
  return static_cast<double>(sorted_ns[rank - 1]) / 1000.0;
}

int64_t Failures(const std::map<std::string, int64_t>& counts) {
  int64_t failures = 0;
  for (const auto& [code, count] : counts) {
    if (code != "OK") failures += count;
  }
  return failures;
}

std::string Number(double value) { return absl::StrFormat("%.1f", value); }

}  // namespace

std::string LatencyJson(const LatencySummary& latency) {
  return absl::StrCat("{\"p50\": ", Number(latency.p50_us),
                      ", \"p99\": ", Number(latency.p99_us),
                      ", \"p999\": ", Number(latency.p999_us),
                      ", \"max\": ", Number(latency.max_us),
                      ", \"mean\": ", Number(latency.mean_us), "}");
}

std::string CountsJson(const std::map<std::string, int64_t>& counts) {
  return absl::StrCat("{",
                      absl::StrJoin(counts, ", ",
                                    [](std::string* out, const auto& entry) {
                                      absl::StrAppend(out, "\"", entry.first,
                                                      "\": ", entry.second);
                                    }),
                      "}");
}

LatencySummary SummarizeLatencies(std::vector<int64_t>& latencies_ns) {
  LatencySummary summary;
  if (latencies_ns.empty()) return summary;
  std::sort(latencies_ns.begin(), latencies_ns.end());
  summary.p50_us = PercentileUs(latencies_ns, 0.50);
  summary.p99_us = PercentileUs(latencies_ns, 0.99);
  summary.p999_us = PercentileUs(latencies_ns, 0.999);
  summary.max_us = static_cast<double>(latencies_ns.back()) / 1000.0;
  double total_ns = 0;
  for (int64_t ns : latencies_ns) total_ns += static_cast<double>(ns);
  summary.mean_us =
      total_ns / static_cast<double>(latencies_ns.size()) / 1000.0;
  return summary;
}

int64_t LoadReport::measured_calls() const {
  int64_t total = 0;
  for (const auto& [code, count] : status_counts) total += count;
  return total;
}

int64_t LoadReport::measured_ok() const {
  auto it = status_counts.find("OK");
  return it == status_counts.end() ? 0 : it->second;
}

int64_t LoadReport::failed_calls() const {
  return Failures(status_counts) + Failures(unmeasured_status_counts);
}

bool LoadReport::clean() const {
  return failed_calls() == 0 && !source_exhausted && measured_ok() > 0;
}

double LoadReport::throughput_per_s() const {
  return duration_s > 0 ? static_cast<double>(measured_ok()) / duration_s : 0;
}

std::string LoadReport::ToJson() const {
  std::string throughput = "null";
  std::string latency_json = "null";
  if (clean()) {
    throughput = Number(throughput_per_s());
    latency_json = LatencyJson(latency);
  }
  return absl::StrCat(
      "{\"method\": \"", method, "\", \"target\": \"", target,
      "\", \"concurrency\": ", concurrency, ", \"threads\": ", threads,
      ", \"connections\": ", connections, ", \"warmup_s\": ", Number(warmup_s),
      ", \"duration_s\": ", absl::StrFormat("%.3f", duration_s),
      ", \"clean\": ", clean() ? "true" : "false",
      ", \"measured_calls\": ", measured_calls(),
      ", \"failed_calls\": ", failed_calls(),
      ", \"source_exhausted\": ", source_exhausted ? "true" : "false",
      ", \"throughput_per_s\": ", throughput,
      ", \"latency_us\": ", latency_json,
      ", \"status_counts\": ", CountsJson(status_counts),
      ", \"unmeasured_status_counts\": ", CountsJson(unmeasured_status_counts),
      ", \"client_cpu_cores\": ", absl::StrFormat("%.2f", client_cpu_cores),
      "}");
}

double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace bench
}  // namespace jobcontrol
