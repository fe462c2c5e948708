// LoadReport: what one load-generator run measured, and its JSON form (the
// one line bench_grpc_loadgen prints, which bench/run_bench.py reads).
//
// Only calls that started after the warm-up and completed before the end of
// the measured window are "measured"; the others (warm-up, the drain after
// the window) are counted by status too, so every call issued is accounted
// for. A run is clean when no call at all failed and the request source did
// not run dry; a run that is not clean reports no throughput and no
// latencies (JSON null), only its counts: errors are never throughput.
#ifndef JOBCONTROL_BENCH_LOADGEN_LOAD_REPORT_H_
#define JOBCONTROL_BENCH_LOADGEN_LOAD_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jobcontrol {
namespace bench {

// Latency percentiles, nearest rank, in microseconds.
struct LatencySummary {
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  double mean_us = 0;
};

// Summarizes `latencies_ns` (sorted in place); all zero when empty.
LatencySummary SummarizeLatencies(std::vector<int64_t>& latencies_ns);

// The JSON forms every generator's report uses: {"p50": .., "p99": ..,
// "p999": .., "max": .., "mean": ..} (µs, one decimal) and {"<key>": count}.
std::string LatencyJson(const LatencySummary& latency);
std::string CountsJson(const std::map<std::string, int64_t>& counts);

struct LoadReport {
  std::string method;
  std::string target;
  int concurrency = 0;
  int threads = 0;
  int connections = 0;
  double warmup_s = 0;
  double duration_s = 0;  // the measured window

  // Measured calls by status code name ("OK", "NOT_FOUND", ...).
  std::map<std::string, int64_t> status_counts;
  // Warm-up and drain calls by status code name.
  std::map<std::string, int64_t> unmeasured_status_counts;
  bool source_exhausted = false;

  LatencySummary latency;  // of measured OK calls
  // CPU time of the whole load-generator process during the measured
  // window, in cores (1.0 = one core busy): tells when the client, not the
  // server, was the limit.
  double client_cpu_cores = 0;

  int64_t measured_calls() const;
  int64_t measured_ok() const;
  int64_t failed_calls() const;  // non-OK, measured or not
  bool clean() const;
  double throughput_per_s() const;  // measured OK calls per second

  std::string ToJson() const;
};

// CPU time (user + system) this process has used so far, in seconds; read at
// the start and at the end of the measured window for client_cpu_cores.
double ProcessCpuSeconds();

}  // namespace bench
}  // namespace jobcontrol

#endif  // JOBCONTROL_BENCH_LOADGEN_LOAD_REPORT_H_
