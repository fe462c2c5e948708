// CancelDNAJob of a job that is no longer queued, over the real ICE gateway of
// a TestServer: PermissionDenied.JobInRunning / JobInComplete / JobInFailure
// (403), and the job is unchanged. The worker API that moves jobs out of QUEUED
// is not part of this build yet, so the test plays the worker: it opens the
// server's own SQLite file with a second SqliteStore and applies the transition
// there, as a worker's lease or result would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/ice_signature_v1.h"
#include "server/gateway/percent_encoding.h"
#include "server/store/sqlite/sqlite_store.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

// One HTTP/1.1 exchange on a fresh connection (Connection: close); the raw
// answer.
std::string HttpExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
          0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char chunk[4096];
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0) answer.append(chunk, n);
  }
  close(fd);
  return answer;
}

// A GET request signed with signature V1 as tenant 1's admin credential.
std::string SignedIceGet(const std::string& action, gateway::ParamList params) {
  static int nonce = 0;
  params.emplace_back("Action", action);
  params.emplace_back("Version", "2020-11-09");
  params.emplace_back("Format", "JSON");
  params.emplace_back("AccessKeyId", "AK_T1_ADMIN");
  params.emplace_back("SignatureMethod", "HMAC-SHA1");
  params.emplace_back("SignatureVersion", "1.0");
  params.emplace_back("SignatureNonce",
                      absl::StrCat("cancel-refusal-", ++nonce, "-",
                                   absl::ToUnixNanos(absl::Now())));
  params.emplace_back(
      "Timestamp",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  const std::string signature = gateway::IceV1Signature(
      "secret-of-AK_T1_ADMIN", gateway::IceV1StringToSign("GET", params));
  std::string query = gateway::IceV1CanonicalizedQuery(params);
  absl::StrAppend(&query, "&Signature=", gateway::AcsPercentEncode(signature));
  return absl::StrCat(
      "GET /?", query,
      " HTTP/1.1\r\nHost: ice.test\r\nConnection: close\r\n\r\n");
}

class IceCancelRefusalTest : public ServerTest {
 protected:
  // Moves the job to `state` in the server's own database, as a worker would.
  void MoveJobTo(const std::string& job_id, JobState state) {
    SqliteStoreOptions options;
    options.path = test_server().data_dir() + "/jobcontrol.db";
    auto store = SqliteStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto updated = (*store)->UpdateJob(
        kTenant1, job_id, [state](const Job& current) -> absl::StatusOr<Job> {
          Job next = current;
          next.state = state;
          if (IsTerminal(state)) next.end_time = absl::Now();
          if (state == JobState::kFailed) {
            next.error = JobError{13, "worker failed"};
          }
          return next;
        });
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  void ExpectCancelRefused(JobState state, const std::string& code,
                           const std::string& ice_status) {
    const v1::Job job = MustSubmit(ValidDnaJob());
    MoveJobTo(job.id(), state);
    const int port = test_server().server().http_port();
    const std::string answer =
        HttpExchange(port, SignedIceGet("CancelDNAJob", {{"JobId", job.id()}}));
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 403 ")) << answer;
    EXPECT_TRUE(
        absl::StrContains(answer, absl::StrCat("\"Code\":\"", code, "\"")))
        << answer;
    EXPECT_TRUE(absl::StrContains(answer, job.id())) << answer;
    // Nothing changed: same state over gRPC and over ICE.
    const Reply<v1::Job> after = t1().GetJob(job.id());
    ASSERT_TRUE(IsOk(after.status));
    EXPECT_EQ(static_cast<int>(after.response.state()),
              static_cast<int>(state));
    const std::string query = HttpExchange(
        port, SignedIceGet("QueryDNAJobList", {{"JobIds", job.id()}}));
    EXPECT_TRUE(absl::StartsWith(query, "HTTP/1.1 200 ")) << query;
    EXPECT_TRUE(absl::StrContains(
        query, absl::StrCat("\"Status\":\"", ice_status, "\"")))
        << query;
  }
};

TEST_F(IceCancelRefusalTest, RunningJobIsJobInRunning) {
  ExpectCancelRefused(JobState::kRunning, "PermissionDenied.JobInRunning",
                      "Analysing");
}

TEST_F(IceCancelRefusalTest, SucceededJobIsJobInComplete) {
  ExpectCancelRefused(JobState::kSucceeded, "PermissionDenied.JobInComplete",
                      "Success");
}

TEST_F(IceCancelRefusalTest, FailedJobIsJobInFailure) {
  ExpectCancelRefused(JobState::kFailed, "PermissionDenied.JobInFailure",
                      "Fail");
}

TEST_F(IceCancelRefusalTest, QueuedJobIsCanceled) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  const std::string answer =
      HttpExchange(test_server().server().http_port(),
                   SignedIceGet("CancelDNAJob", {{"JobId", job.id()}}));
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200 ")) << answer;
  EXPECT_EQ(t1().GetJob(job.id()).response.state(), v1::Job::CANCELED);
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
