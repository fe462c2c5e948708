// End-to-end tests of the jobcontrold process: durability across SIGKILL
// (design.md §5: a process killed with SIGKILL loses no acknowledged change),
// draining on SIGTERM, and the start-up errors an operator meets (busy port,
// credentials readable by others) plus the first-start dev credential.
//
// Each test runs the real binary (DaemonProcess) on 127.0.0.1:0 over its own
// temporary data directory and talks to it with the C++ client library.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/jobcontrol_client.h"
#include "gtest/gtest.h"
#include "tests/daemon_process.h"

namespace jobcontrol {
namespace test {
namespace {

constexpr char kToken[] = "tok-crash-recovery-0123456789abcdef";

// A fresh directory under $TEST_TMPDIR (Bazel) or /tmp, removed with its
// contents on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                     "/jobcontrol_crash_recovery_XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern
                    << " failed: " << std::strerror(errno);
    }
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes a credentials file with one credential of tenant "t1" whose bearer
// token is kToken, with file mode `mode`.
void WriteCredentialsFile(const std::string& path, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << "credentials {\n"
        << "  access_key_id: \"AK1\"\n"
        << "  access_key_secret: \"secret-crash-recovery-0123456789\"\n"
        << "  bearer_token: \"" << kToken << "\"\n"
        << "  tenant: \"t1\"\n"
        << "  allowed_actions: \"*\"\n"
        << "}\n";
    ASSERT_TRUE(out.good()) << "cannot write " << path;
  }
  // Explicitly, whatever the umask.
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << std::strerror(errno);
}

// A daemon's data directory and credentials file, which outlive the daemon
// processes run on them.
class DaemonHome {
 public:
  DaemonHome() : credentials_path_(dir_.path() + "/credentials.textproto") {}

  const std::string& data_dir() const { return dir_.path(); }
  const std::string& credentials_path() const { return credentials_path_; }

  // The flags the tests start jobcontrold with; `listen` is host:port.
  std::vector<std::string> Flags(
      const std::string& listen = "127.0.0.1:0") const {
    return {"--grpc_listen=" + listen, "--http_listen=127.0.0.1:0",
            "--data_dir=" + data_dir(), "--credentials=" + credentials_path_};
  }

 private:
  ScopedTempDir dir_;
  std::string credentials_path_;
};

std::unique_ptr<JobControlClient> ClientOf(const DaemonProcess& daemon,
                                           const std::string& token = kToken) {
  ClientOptions options;
  options.server = daemon.address();
  options.bearer_token = token;
  options.timeout = absl::Seconds(20);
  return std::make_unique<JobControlClient>(options);
}

// A valid DNA analysis submit; `n` makes the spec distinct.
v1::SubmitJobRequest DnaSubmit(int n, const std::string& request_id = "") {
  v1::SubmitJobRequest request;
  request.set_request_id(request_id);
  v1::DnaAnalysisSpec* spec = request.mutable_job()->mutable_dna_analysis();
  spec->set_db_id("db-crash");
  spec->set_primary_key(absl::StrCat("video-", n));
  spec->mutable_input()->set_uri(
      absl::StrCat("oss://bucket/crash/video-", n, ".mp4"));
  request.mutable_job()->set_user_data(absl::StrCat("job ", n));
  return request;
}

// Every job of the tenant, through all pages.
absl::StatusOr<std::vector<v1::Job>> ListAllJobs(JobControlClient& client) {
  std::vector<v1::Job> jobs;
  v1::ListJobsRequest request;
  request.set_page_size(1000);
  for (;;) {
    absl::StatusOr<v1::ListJobsResponse> page = client.ListJobs(request);
    if (!page.ok()) return page.status();
    jobs.insert(jobs.end(), page->jobs().begin(), page->jobs().end());
    if (page->next_page_token().empty()) return jobs;
    request.set_page_token(page->next_page_token());
  }
}

std::string StateName(v1::Job::State state) {
  return v1::Job::State_Name(state);
}

// Sends SIGKILL and checks that the daemon died of it.
void KillHard(DaemonProcess& daemon) {
  daemon.Kill(SIGKILL);
  absl::StatusOr<DaemonExitStatus> exit = daemon.Wait();
  ASSERT_TRUE(exit.ok()) << exit.status();
  ASSERT_TRUE(exit->killed()) << exit->ToString();
  EXPECT_EQ(exit->signal(), SIGKILL) << exit->ToString();
}

// --- (a) every acknowledged submit and cancel survives SIGKILL
// ----------------

TEST(CrashRecoveryTest, AcknowledgedSubmitsAndCancelsSurviveSigkill) {
  DaemonHome home;
  WriteCredentialsFile(home.credentials_path(), 0600);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> first =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(first.ok()) << first.status();

  constexpr int kJobs = 50;
  std::map<std::string, v1::Job::State> acknowledged;  // job id -> state
  std::map<std::string, std::string> id_by_request_id;
  std::map<std::string, int> spec_by_request_id;
  {
    std::unique_ptr<JobControlClient> client = ClientOf(**first);
    for (int i = 0; i < kJobs; ++i) {
      const std::string request_id =
          i % 4 == 0 ? absl::StrCat("crash-submit-", i) : "";
      absl::StatusOr<v1::Job> job = client->SubmitJob(DnaSubmit(i, request_id));
      ASSERT_TRUE(job.ok()) << "submit " << i << ": " << job.status();
      ASSERT_EQ(job->state(), v1::Job::QUEUED);
      acknowledged[job->id()] = job->state();
      if (!request_id.empty()) {
        id_by_request_id[request_id] = job->id();
        spec_by_request_id[request_id] = i;
      }
      if (i % 3 == 0) {
        absl::StatusOr<v1::Job> canceled = client->CancelJob(job->id());
        ASSERT_TRUE(canceled.ok())
            << "cancel " << i << ": " << canceled.status();
        ASSERT_EQ(canceled->state(), v1::Job::CANCELED);
        acknowledged[job->id()] = canceled->state();
      }
    }
  }
  ASSERT_EQ(acknowledged.size(), static_cast<size_t>(kJobs));
  KillHard(**first);

  absl::StatusOr<std::unique_ptr<DaemonProcess>> second =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(second.ok()) << second.status();
  std::unique_ptr<JobControlClient> client = ClientOf(**second);

  for (const auto& [id, state] : acknowledged) {
    absl::StatusOr<v1::Job> job = client->GetJob(id);
    ASSERT_TRUE(job.ok()) << "acknowledged job " << id
                          << " lost: " << job.status();
    EXPECT_EQ(StateName(job->state()), StateName(state)) << "job " << id;
  }

  // A client that never saw the answer retries: same job, no duplicate.
  ASSERT_FALSE(id_by_request_id.empty());
  for (const auto& [request_id, id] : id_by_request_id) {
    absl::StatusOr<v1::Job> retried = client->SubmitJob(
        DnaSubmit(spec_by_request_id[request_id], request_id));
    ASSERT_TRUE(retried.ok()) << request_id << ": " << retried.status();
    EXPECT_EQ(retried->id(), id) << request_id;
  }

  absl::StatusOr<std::vector<v1::Job>> listed = ListAllJobs(*client);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), acknowledged.size());
  for (const v1::Job& job : *listed) {
    EXPECT_EQ(acknowledged.count(job.id()), 1U)
        << "listed job " << job.id() << " was never acknowledged";
  }
}

// --- (b) concurrent writers killed mid-flight
// ---------------------------------

// Counts acknowledged submits of several threads and lets the test wait for
// a number of them.
class AcknowledgedSubmits {
 public:
  void Add(const std::string& job_id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.push_back(job_id);
    added_.notify_all();
  }
  // Waits until at least `count` were added; false after `timeout`.
  bool WaitForAtLeast(size_t count, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return added_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                           [&] { return ids_.size() >= count; });
  }
  std::vector<std::string> ids() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable added_;
  std::vector<std::string> ids_;
};

TEST(CrashRecoveryTest, ConcurrentSubmitsAcknowledgedBeforeSigkillSurvive) {
  DaemonHome home;
  WriteCredentialsFile(home.credentials_path(), 0600);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> first =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(first.ok()) << first.status();

  constexpr int kWriters = 4;
  constexpr size_t kKillAfter = 200;
  AcknowledgedSubmits acknowledged;
  std::atomic<bool> stop{false};
  std::vector<absl::Status> last_error(kWriters);
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::unique_ptr<JobControlClient> client = ClientOf(**first);
      for (int i = 0; !stop.load(); ++i) {
        absl::StatusOr<v1::Job> job =
            client->SubmitJob(DnaSubmit(w * 1000000 + i));
        if (!job.ok()) {
          last_error[w] = job.status();
          return;  // the daemon is gone
        }
        acknowledged.Add(job->id());
      }
    });
  }
  const bool reached =
      acknowledged.WaitForAtLeast(kKillAfter, absl::Seconds(120));
  // Kill while the writers are still submitting.
  (*first)->Kill(SIGKILL);
  stop.store(true);
  for (std::thread& writer : writers) writer.join();
  ASSERT_TRUE(reached) << "only " << acknowledged.ids().size()
                       << " submits acknowledged; daemon output:\n"
                       << (*first)->Output();
  KillHard(**first);
  const std::vector<std::string> ids = acknowledged.ids();
  ASSERT_GE(ids.size(), kKillAfter);

  absl::StatusOr<std::unique_ptr<DaemonProcess>> second =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(second.ok()) << second.status();
  std::unique_ptr<JobControlClient> client = ClientOf(**second);
  absl::StatusOr<std::vector<v1::Job>> listed = ListAllJobs(*client);
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::set<std::string> present;
  for (const v1::Job& job : *listed) present.insert(job.id());
  int missing = 0;
  for (const std::string& id : ids) {
    if (present.count(id) == 0) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << ids.size() << " acknowledged submits";
  // Submits in flight at the kill may or may not have committed; none can
  // have committed twice or out of nowhere beyond the writers' last calls.
  EXPECT_LE(present.size(), ids.size() + kWriters);
}

// --- (c) SIGTERM drains and exits 0; the jobs stay
// ----------------------------

TEST(CrashRecoveryTest, SigtermExitsZeroAndRestartKeepsJobs) {
  DaemonHome home;
  WriteCredentialsFile(home.credentials_path(), 0600);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> first =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(first.ok()) << first.status();

  std::map<std::string, v1::Job::State> acknowledged;
  {
    std::unique_ptr<JobControlClient> client = ClientOf(**first);
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<v1::Job> job = client->SubmitJob(DnaSubmit(i));
      ASSERT_TRUE(job.ok()) << job.status();
      acknowledged[job->id()] = job->state();
    }
    const std::string canceled_id = acknowledged.begin()->first;
    absl::StatusOr<v1::Job> canceled = client->CancelJob(canceled_id);
    ASSERT_TRUE(canceled.ok()) << canceled.status();
    acknowledged[canceled_id] = canceled->state();
  }

  (*first)->Kill(SIGTERM);
  absl::StatusOr<DaemonExitStatus> exit = (*first)->Wait();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited()) << exit->ToString() << "; output:\n"
                              << (*first)->Output();
  EXPECT_EQ(exit->exit_code(), 0) << "output:\n" << (*first)->Output();

  absl::StatusOr<std::unique_ptr<DaemonProcess>> second =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(second.ok()) << second.status();
  std::unique_ptr<JobControlClient> client = ClientOf(**second);
  for (const auto& [id, state] : acknowledged) {
    absl::StatusOr<v1::Job> job = client->GetJob(id);
    ASSERT_TRUE(job.ok()) << id << ": " << job.status();
    EXPECT_EQ(StateName(job->state()), StateName(state)) << id;
  }
  absl::StatusOr<std::vector<v1::Job>> listed = ListAllJobs(*client);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), acknowledged.size());
}

// --- (d) a busy port is a clear start-up error
// --------------------------------

TEST(CrashRecoveryTest, BusyPortIsAStartupErrorNotASharedPort) {
  DaemonHome home_a;
  WriteCredentialsFile(home_a.credentials_path(), 0600);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> a =
      DaemonProcess::Start(home_a.Flags());
  ASSERT_TRUE(a.ok()) << a.status();

  DaemonHome home_b;
  WriteCredentialsFile(home_b.credentials_path(), 0600);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> b =
      DaemonProcess::Launch(home_b.Flags((*a)->address()));
  ASSERT_TRUE(b.ok()) << b.status();
  absl::StatusOr<int> b_port = (*b)->WaitUntilServing();
  ASSERT_FALSE(b_port.ok())
      << "second daemon serves on A's port " << *b_port << "; output:\n"
      << (*b)->Output();
  EXPECT_EQ(b_port.status().code(), absl::StatusCode::kFailedPrecondition)
      << "expected the daemon to exit, got: " << b_port.status();
  absl::StatusOr<DaemonExitStatus> exit = (*b)->Wait();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited()) << exit->ToString();
  EXPECT_NE(exit->exit_code(), 0);
  // The daemon's own message, not only gRPC's log, names the problem.
  const std::string output = (*b)->Output();
  bool explained = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "jobcontrold:") &&
        absl::StrContains(line, (*a)->address()) &&
        (absl::StrContains(line, "address") ||
         absl::StrContains(line, "in use"))) {
      explained = true;
    }
  }
  EXPECT_TRUE(explained) << output;

  // A is unaffected.
  absl::StatusOr<std::vector<v1::Job>> listed = ListAllJobs(*ClientOf(**a));
  EXPECT_TRUE(listed.ok()) << listed.status();
}

TEST(CrashRecoveryTest, SecondDaemonOnTheSameDataDirIsAStartupError) {
  DaemonHome home;
  WriteCredentialsFile(home.credentials_path(), 0600);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> a =
      DaemonProcess::Start(home.Flags());
  ASSERT_TRUE(a.ok()) << a.status();

  // Same data directory, another port: B must not share A's store.
  absl::StatusOr<std::unique_ptr<DaemonProcess>> b =
      DaemonProcess::Launch(home.Flags());
  ASSERT_TRUE(b.ok()) << b.status();
  absl::StatusOr<int> b_port = (*b)->WaitUntilServing();
  ASSERT_FALSE(b_port.ok()) << "a second daemon serves on port " << *b_port
                            << " over the same store; output:\n"
                            << (*b)->Output();
  absl::StatusOr<DaemonExitStatus> exit = (*b)->Wait();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited()) << exit->ToString();
  EXPECT_NE(exit->exit_code(), 0);
  EXPECT_TRUE(absl::StrContains((*b)->Output(),
                                "another process holds the database"))
      << (*b)->Output();

  // A is unaffected and still writes.
  std::unique_ptr<JobControlClient> client = ClientOf(**a);
  absl::StatusOr<v1::Job> submitted = client->SubmitJob(DnaSubmit(1));
  EXPECT_TRUE(submitted.ok()) << submitted.status();
}

// --- (e) credentials readable by others: refuse to start ---------------------

TEST(CrashRecoveryTest, CredentialsReadableByOthersRefuseToStart) {
  DaemonHome home;
  WriteCredentialsFile(home.credentials_path(), 0644);
  absl::StatusOr<std::unique_ptr<DaemonProcess>> daemon =
      DaemonProcess::Launch(home.Flags());
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  absl::StatusOr<int> port = (*daemon)->WaitUntilServing();
  ASSERT_FALSE(port.ok()) << "daemon serves with a 0644 credentials file";
  EXPECT_EQ(port.status().code(), absl::StatusCode::kFailedPrecondition)
      << port.status();
  absl::StatusOr<DaemonExitStatus> exit = (*daemon)->Wait();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited()) << exit->ToString();
  EXPECT_NE(exit->exit_code(), 0);
  const std::string output = (*daemon)->Output();
  EXPECT_TRUE(absl::StrContains(output, home.credentials_path())) << output;
  EXPECT_TRUE(absl::StrContains(output, "0644") ||
              absl::StrContains(output, "permission"))
      << output;

  // The file is left as it was: the daemon says why, it does not "fix" it.
  struct stat st;
  ASSERT_EQ(stat(home.credentials_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
}

// --- (f) first start creates a 0600 dev credential and prints its token ------

// The value after "JOBCTL_TOKEN=" in `output`, up to white space; empty if
// there is none.
std::string PrintedToken(absl::string_view output) {
  const absl::string_view marker = "JOBCTL_TOKEN=";
  const size_t at = output.find(marker);
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = output.substr(at + marker.size());
  const size_t end = rest.find_first_of(" \t\r\n'\"");
  return std::string(rest.substr(0, end));
}

TEST(CrashRecoveryTest, FirstStartCreatesPrivateDevCredentialAndPrintsToken) {
  ScopedTempDir data_dir;
  // No --credentials: the default <data_dir>/credentials.textproto, as a new
  // user's first `scripts/run`.
  const std::vector<std::string> flags = {"--grpc_listen=127.0.0.1:0",
                                          "--http_listen=127.0.0.1:0",
                                          "--data_dir=" + data_dir.path()};
  const std::string credentials_path =
      data_dir.path() + "/credentials.textproto";
  ASSERT_NE(access(credentials_path.c_str(), F_OK), 0);

  absl::StatusOr<std::unique_ptr<DaemonProcess>> first =
      DaemonProcess::Start(flags);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string token = PrintedToken((*first)->Output());
  ASSERT_FALSE(token.empty()) << "no JOBCTL_TOKEN= in:\n" << (*first)->Output();

  struct stat st;
  ASSERT_EQ(stat(credentials_path.c_str(), &st), 0)
      << credentials_path << ": " << std::strerror(errno);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  {
    absl::StatusOr<std::vector<v1::Job>> listed =
        ListAllJobs(*ClientOf(**first, token));
    EXPECT_TRUE(listed.ok()) << listed.status();
    absl::StatusOr<v1::Job> job =
        ClientOf(**first, token)->SubmitJob(DnaSubmit(1));
    ASSERT_TRUE(job.ok()) << job.status();
    absl::StatusOr<v1::Job> got = ClientOf(**first, token)->GetJob(job->id());
    EXPECT_TRUE(got.ok()) << got.status();
    // The token is what grants access: a different one does not.
    absl::StatusOr<std::vector<v1::Job>> refused =
        ListAllJobs(*ClientOf(**first, token + "x"));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated)
        << refused.status();
  }
  (*first)->Kill(SIGTERM);
  ASSERT_TRUE((*first)->Wait().ok());

  // The second start uses the file: no new credential, the token still works.
  absl::StatusOr<std::unique_ptr<DaemonProcess>> second =
      DaemonProcess::Start(flags);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(absl::StrContains((*second)->Output(), "JOBCTL_TOKEN="))
      << (*second)->Output();
  absl::StatusOr<std::vector<v1::Job>> listed =
      ListAllJobs(*ClientOf(**second, token));
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 1U);
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
