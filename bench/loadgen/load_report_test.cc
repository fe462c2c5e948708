#include "bench/loadgen/load_report.h"

#include <chrono>
#include <vector>

#include "gtest/gtest.h"

namespace jobcontrol {
namespace bench {
namespace {

TEST(SummarizeLatenciesTest, NearestRankPercentiles) {
  std::vector<int64_t> ns;
  for (int i = 1000; i >= 1; --i) ns.push_back(i * 1000);  // 1..1000 us
  const LatencySummary summary = SummarizeLatencies(ns);
  EXPECT_EQ(summary.p50_us, 500);
  EXPECT_EQ(summary.p99_us, 990);
  EXPECT_EQ(summary.p999_us, 999);
  EXPECT_EQ(summary.max_us, 1000);
  EXPECT_DOUBLE_EQ(summary.mean_us, 500.5);
}

TEST(SummarizeLatenciesTest, OneSampleIsEveryPercentile) {
  std::vector<int64_t> ns = {2500};
  const LatencySummary summary = SummarizeLatencies(ns);
  EXPECT_EQ(summary.p50_us, 2.5);
  EXPECT_EQ(summary.p999_us, 2.5);
}

TEST(SummarizeLatenciesTest, NoSamplesIsZero) {
  std::vector<int64_t> ns;
  EXPECT_EQ(SummarizeLatencies(ns).p99_us, 0);
}

LoadReport ReportWith(std::map<std::string, int64_t> measured,
                      std::map<std::string, int64_t> unmeasured) {
  LoadReport report;
  report.method = "/jobcontrol.v1.JobService/GetJob";
  report.duration_s = 2;
  report.status_counts = std::move(measured);
  report.unmeasured_status_counts = std::move(unmeasured);
  return report;
}

TEST(LoadReportTest, CleanRunReportsThroughput) {
  const LoadReport report = ReportWith({{"OK", 100}}, {{"OK", 7}});
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(report.throughput_per_s(), 50);
  EXPECT_NE(report.ToJson().find("\"throughput_per_s\": 50.0"),
            std::string::npos);
}

TEST(LoadReportTest, AnyFailureMeansNoThroughput) {
  const LoadReport measured_error =
      ReportWith({{"OK", 100}, {"NOT_FOUND", 1}}, {});
  EXPECT_FALSE(measured_error.clean());
  EXPECT_EQ(measured_error.failed_calls(), 1);
  EXPECT_NE(measured_error.ToJson().find("\"throughput_per_s\": null"),
            std::string::npos);
  EXPECT_NE(measured_error.ToJson().find("\"NOT_FOUND\": 1"),
            std::string::npos);

  const LoadReport warmup_error =
      ReportWith({{"OK", 100}}, {{"UNAVAILABLE", 3}});
  EXPECT_FALSE(warmup_error.clean());
  EXPECT_EQ(warmup_error.failed_calls(), 3);
}

TEST(LoadReportTest, ExhaustedSourceOrNoCallIsNotClean) {
  LoadReport exhausted = ReportWith({{"OK", 100}}, {});
  exhausted.source_exhausted = true;
  EXPECT_FALSE(exhausted.clean());
  EXPECT_FALSE(ReportWith({}, {}).clean());
}

TEST(LoadReportTest, ProcessCpuSecondsCountsThisProcessWork) {
  const double before = ProcessCpuSeconds();
  EXPECT_GE(before, 0);
  // Busy until the process has used 20 ms more CPU; a clock that did not
  // count this process's work would never get there (bounded at 10 s).
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  volatile uint64_t sink = 0;
  while (ProcessCpuSeconds() < before + 0.02 &&
         std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 100000; ++i) sink = sink + i;
  }
  EXPECT_GE(ProcessCpuSeconds(), before + 0.02);
}

}  // namespace
}  // namespace bench
}  // namespace jobcontrol
