// bench_bulk_load: fills a jobcontrold data directory with many queued jobs,
// fast, for the scale benchmark. It is an offline tool: it opens the SQLite
// store itself, so jobcontrold must not be running on that directory (the
// store's write lock makes a running daemon or a second loader fail it).
//
// Nothing is bypassed: each job is a BenchSubmitJobRequest that passes
// ValidateSubmitJobRequest and becomes a JobSubmission through
// SubmissionFromRequest, exactly as in jobcontrold's SubmitJob, and is
// stored by Store::SubmitJob with every check the store makes. It is fast
// only because many threads submit at once, so the group-commit writer puts
// up to 256 jobs in each transaction, and because there is no gRPC hop. No
// user can reach this path: it has no network interface.
//
// --kind=editing stores editing jobs (BenchEditingSubmitJobRequest) instead
// of DNA analysis jobs: what the MPC gateway benchmark cancels.
//
// Prints one JSON line: {"jobs": N, "seconds": S, "commits": C}.
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/loadgen/job_requests.h"
#include "server/api/job_conversion.h"
#include "server/api/request_validation.h"
#include "server/core/clock.h"
#include "server/store/sqlite/sqlite_store.h"

ABSL_FLAG(std::string, data_dir, "",
          "jobcontrold data directory (created if missing); the daemon must "
          "not be running on it");
ABSL_FLAG(std::string, tenant, "dev", "tenant owning the jobs");
ABSL_FLAG(std::string, kind, "dna",
          "dna (DNA analysis jobs) or editing (editing jobs, for MPC)");
ABSL_FLAG(int64_t, jobs, 1000, "jobs to add");
ABSL_FLAG(int, threads, 128, "submitting threads");
ABSL_FLAG(std::string, ids_out, "",
          "if set, write the ids of the added jobs here, one per line");
ABSL_FLAG(int64_t, ids_limit, 0,
          "write at most this many ids (the first ones added); 0 = all");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Adds validated queued jobs to a stopped jobcontrold's store.\nUsage: "
      "bench_bulk_load --data_dir=DIR --jobs=1000000 [--ids_out=FILE]");
  absl::ParseCommandLine(argc, argv);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  const int64_t total = absl::GetFlag(FLAGS_jobs);
  const int thread_count = std::max(1, absl::GetFlag(FLAGS_threads));
  const std::string kind = absl::GetFlag(FLAGS_kind);
  if (data_dir.empty() || tenant.empty() || total < 0 ||
      (kind != "dna" && kind != "editing")) {
    std::fprintf(stderr,
                 "bench_bulk_load: --data_dir and --tenant are required, "
                 "--jobs >= 0, --kind dna or editing\n");
    return 2;
  }
  mkdir(data_dir.c_str(), 0700);
  jobcontrol::SqliteStoreOptions store_options;
  // The file name jobcontrold uses inside its data directory.
  store_options.path = absl::StrCat(data_dir, "/jobcontrol.db");
  auto store = jobcontrol::SqliteStore::Open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "bench_bulk_load: %s\n",
                 std::string(store.status().message()).c_str());
    return 1;
  }

  const int64_t ids_limit = absl::GetFlag(FLAGS_ids_limit);
  const bool keep_ids = !absl::GetFlag(FLAGS_ids_out).empty();
  std::mutex ids_mutex;
  std::vector<std::pair<int64_t, std::string>> ids;  // (sequence, id)
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = next++; i < total && !failed; i = next++) {
        const jobcontrol::v1::SubmitJobRequest request =
            kind == "editing"
                ? jobcontrol::bench::BenchEditingSubmitJobRequest(
                      static_cast<int>(i))
                : jobcontrol::bench::BenchSubmitJobRequest(
                      static_cast<int>(i));
        const absl::Status valid =
            jobcontrol::ValidateSubmitJobRequest(request);
        absl::StatusOr<jobcontrol::SubmitResult> result =
            valid.ok() ? (*store)->SubmitJob(jobcontrol::SubmissionFromRequest(
                             request, tenant, jobcontrol::CurrentTime()))
                       : absl::StatusOr<jobcontrol::SubmitResult>(valid);
        if (!result.ok()) {
          if (!failed.exchange(true)) {
            std::fprintf(stderr, "bench_bulk_load: job %lld: %s\n",
                         static_cast<long long>(i),
                         std::string(result.status().message()).c_str());
          }
          return;
        }
        if (keep_ids) {
          std::lock_guard<std::mutex> lock(ids_mutex);
          ids.emplace_back(result->job.sequence, result->job.id);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (failed) return 1;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t commits = (*store)->CommitCount();
  store->reset();

  if (keep_ids) {
    std::sort(ids.begin(), ids.end());
    std::ofstream out(absl::GetFlag(FLAGS_ids_out));
    int64_t written = 0;
    for (const auto& [sequence, id] : ids) {
      if (ids_limit > 0 && written == ids_limit) break;
      out << id << '\n';
      ++written;
    }
    if (!out.flush()) {
      std::fprintf(stderr, "bench_bulk_load: cannot write %s\n",
                   absl::GetFlag(FLAGS_ids_out).c_str());
      return 1;
    }
  }
  std::printf("{\"jobs\": %lld, \"seconds\": %.2f, \"commits\": %lld}\n",
              static_cast<long long>(total), seconds,
              static_cast<long long>(commits));
  return 0;
}
