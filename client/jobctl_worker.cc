#include "client/jobctl_worker.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/jobctl_output.h"
#include "client/table_printer.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace jobcontrol {
namespace {

// FailJob's error.message may hold at most this many bytes.
constexpr size_t kMaxErrorMessageBytes = 4096;
// Shortest pause between two heartbeats; the longest after a failed one.
constexpr absl::Duration kMinHeartbeatInterval = absl::Milliseconds(200);
constexpr absl::Duration kHeartbeatRetryInterval = absl::Seconds(1);
// Assumed when a lease's length cannot be told from the server's answer.
constexpr absl::Duration kDefaultLeaseLength = absl::Seconds(30);
// Backoff between failed LeaseJob calls.
constexpr absl::Duration kFirstLeaseBackoff = absl::Seconds(1);
constexpr absl::Duration kMaxLeaseBackoff = absl::Seconds(30);
// Attempts of a report (CompleteJob, FailJob, AcknowledgeCancel) that fails
// with UNAVAILABLE or DEADLINE_EXCEEDED.
constexpr int kReportAttempts = 3;

// google.rpc.Code values used in FailJob errors.
constexpr int kCodeUnknown = 2;
constexpr int kCodeInvalidArgument = 3;
constexpr int kCodeUnavailable = 14;

absl::Time ToAbslTime(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) +
         absl::Nanoseconds(time.nanos());
}

std::string TimeText(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

// Prints "<time> <subject>: <text>" as one line, control characters escaped.
void PrintLine(FILE* stream, const std::string& subject,
               const std::string& text) {
  const std::string line =
      absl::StrCat(TimeText(absl::Now()), " ", subject, ": ",
                   EscapeControlCharacters(text), "\n");
  std::fputs(line.c_str(), stream);
  std::fflush(stream);
}

void SayAboutJob(const std::string& job_id, const std::string& text) {
  PrintLine(stdout, absl::StrCat("job ", job_id), text);
}

bool IsTransient(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

bool IsLeaseLost(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition;
}

// Retries `report` while it fails with UNAVAILABLE or DEADLINE_EXCEEDED.
template <typename Report>
absl::StatusOr<v1::Job> ReportWithRetry(Report report) {
  absl::Duration backoff = absl::Milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<v1::Job> job = report();
    if (job.ok() || attempt == kReportAttempts ||
        (job.status().code() != absl::StatusCode::kUnavailable &&
         job.status().code() != absl::StatusCode::kDeadlineExceeded)) {
      return job;
    }
    absl::SleepFor(backoff);
    backoff *= 2;
  }
}

// `text` cut to its last `max_bytes` bytes, at a character boundary, with
// "..." in front when cut.
std::string LastBytes(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - (max_bytes > 3 ? max_bytes - 3 : 0);
  while (start < text.size() &&
         (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
    ++start;
  }
  return absl::StrCat("...", text.substr(start));
}

// "command exited with status 3: <stderr tail>", at most
// kMaxErrorMessageBytes.
std::string FailureMessage(const ChildOutcome& outcome) {
  std::string message = absl::StrCat("command ", outcome.Describe());
  const absl::string_view stderr_tail =
      absl::StripTrailingAsciiWhitespace(outcome.stderr_tail);
  if (!stderr_tail.empty()) {
    const size_t room = kMaxErrorMessageBytes - message.size() - 2;
    absl::StrAppend(&message, ": ", LastBytes(std::string(stderr_tail), room));
  }
  return message;
}

// {"exit_code":0,"stdout_tail":"...","stderr_tail":"..."}, escaped by the
// protobuf JSON printer.
std::string ResultDetailsJson(const ChildOutcome& outcome) {
  google::protobuf::Struct details;
  auto& fields = *details.mutable_fields();
  fields["exit_code"].set_number_value(outcome.exit_code);
  fields["stdout_tail"].set_string_value(outcome.stdout_tail);
  fields["stderr_tail"].set_string_value(outcome.stderr_tail);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(details, &json).ok()) {
    return absl::StrCat("{\"exit_code\":", outcome.exit_code, "}");
  }
  return json;
}

google::rpc::Status ErrorStatus(int code, std::string message) {
  google::rpc::Status error;
  error.set_code(code);
  error.set_message(LastBytes(message, kMaxErrorMessageBytes));
  return error;
}

// The line that says how a report left the job; `failure` is the message
// of the FailJob sent, if any (a requeued job does not keep it).
std::string EndingText(const v1::Job& job, const std::string& failure = "") {
  switch (job.state()) {
    case v1::Job::SUCCEEDED:
      return job.result().output_uri().empty()
                 ? "SUCCEEDED"
                 : absl::StrCat("SUCCEEDED, output ",
                                job.result().output_uri());
    case v1::Job::QUEUED:
      return absl::StrCat(
          "QUEUED for another attempt",
          job.has_next_attempt_time()
              ? absl::StrCat(" after ",
                             TimeText(ToAbslTime(job.next_attempt_time())))
              : "",
          ": ", failure);
    case v1::Job::FAILED:
      return absl::StrCat("FAILED: ", job.error().message().empty()
                                          ? failure
                                          : job.error().message());
    default:
      return v1::Job::State_Name(job.state());
  }
}

// How often to renew the lease LeaseJob gave with `job`: three times per
// lease length, which is measured on the server's clock alone (lease expiry
// minus the job's start), so that a skewed local clock does not matter.
absl::Duration HeartbeatInterval(const v1::Job& job, const v1::Lease& lease) {
  absl::Duration length =
      ToAbslTime(lease.expire_time()) - ToAbslTime(job.start_time());
  if (!job.has_start_time() || length <= absl::ZeroDuration()) {
    length = kDefaultLeaseLength;
  }
  return std::max(length / 3, kMinHeartbeatInterval);
}

// Renews a lease from a thread of its own every `interval` until Finish().
// Stops the command (ChildProcess::Terminate) when the server asks for a
// cancel or says the lease is lost.
class LeaseKeeper {
 public:
  LeaseKeeper(JobControlClient& client, const v1::Lease& lease,
              absl::Duration interval, ChildProcess& child,
              absl::Duration kill_grace)
      : client_(client),
        lease_(lease),
        interval_(interval),
        child_(child),
        kill_grace_(kill_grace) {
    thread_ = std::thread([this] { Heartbeat(); });
  }
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  ~LeaseKeeper() { Finish(); }

  // Stops renewing; returns once the heartbeat thread has ended.
  void Finish() {
    {
      absl::MutexLock lock(&mutex_);
      finished_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  bool cancel_requested() {
    absl::MutexLock lock(&mutex_);
    return cancel_requested_;
  }
  bool lease_lost() {
    absl::MutexLock lock(&mutex_);
    return lease_lost_;
  }

 private:
  void Heartbeat() {
    // After a failed heartbeat the next comes sooner, while the lease lasts.
    absl::Duration pause = interval_;
    for (;;) {
      {
        absl::MutexLock lock(&mutex_);
        if (mutex_.AwaitWithTimeout(absl::Condition(&finished_), pause)) {
          return;
        }
      }
      absl::StatusOr<v1::RenewLeaseResponse> renewed =
          client_.RenewLease(lease_.job_id(), lease_.lease_id());
      absl::MutexLock lock(&mutex_);
      if (finished_) return;  // the command ended meanwhile
      if (renewed.ok()) {
        pause = interval_;
        if (renewed->cancel_requested() && !cancel_requested_) {
          cancel_requested_ = true;
          SayAboutJob(lease_.job_id(),
                      "cancel requested: stopping the command");
          child_.Terminate(kill_grace_);
        }
      } else if (IsLeaseLost(renewed.status())) {
        lease_lost_ = true;
        SayAboutJob(lease_.job_id(),
                    absl::StrCat("lease lost (", renewed.status().message(),
                                 "): stopping the command"));
        child_.Terminate(kill_grace_);
        return;
      } else {
        pause = std::min(interval_, kHeartbeatRetryInterval);
        PrintLine(stderr, absl::StrCat("job ", lease_.job_id()),
                  absl::StrCat("heartbeat failed, will retry: ",
                               ServerErrorLine(renewed.status())));
      }
    }
  }

  JobControlClient& client_;
  const v1::Lease lease_;
  const absl::Duration interval_;
  ChildProcess& child_;
  const absl::Duration kill_grace_;

  absl::Mutex mutex_;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  bool cancel_requested_ ABSL_GUARDED_BY(mutex_) = false;
  bool lease_lost_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // started last, in the constructor
};

}  // namespace

ReferenceWorker::ReferenceWorker(WorkerOptions options,
                                 JobControlClient& client)
    : options_(std::move(options)), client_(client) {}

int ReferenceWorker::Run() {
  std::vector<std::string> kinds;
  for (v1::JobKind kind : options_.kinds) kinds.push_back(JobKindName(kind));
  PrintLine(
      stdout, absl::StrCat("worker ", options_.worker_id),
      absl::StrCat(
          "waiting for ",
          kinds.empty() ? "jobs of any kind"
                        : absl::StrCat(absl::StrJoin(kinds, ","), " jobs"),
          " from ",
          options_.pipeline_ids.empty()
              ? "every pipeline"
              : absl::StrCat("pipelines ",
                             absl::StrJoin(options_.pipeline_ids, ",")),
          "; command: ", options_.command.text()));

  v1::LeaseJobRequest request;
  request.set_worker_id(options_.worker_id);
  for (v1::JobKind kind : options_.kinds) request.add_kinds(kind);
  for (const std::string& id : options_.pipeline_ids) {
    request.add_pipeline_ids(id);
  }
  request.mutable_wait_timeout()->set_seconds(
      absl::ToInt64Seconds(options_.wait));
  request.mutable_wait_timeout()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(options_.wait % absl::Seconds(1))));
  if (options_.lease_duration > absl::ZeroDuration()) {
    request.mutable_lease_duration()->set_seconds(
        absl::ToInt64Seconds(options_.lease_duration));
    request.mutable_lease_duration()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(options_.lease_duration % absl::Seconds(1))));
  }

  absl::Duration backoff = kFirstLeaseBackoff;
  while (!stopped_.HasBeenNotified()) {
    absl::StatusOr<v1::LeaseJobResponse> leased =
        client_.LeaseJob(request, &lease_canceller_);
    if (!leased.ok()) {
      if (stopped_.HasBeenNotified()) break;
      if (!IsTransient(leased.status().code())) {
        std::fprintf(stderr, "%s\n", ServerErrorLine(leased.status()).c_str());
        return kExitServerError;
      }
      PrintLine(stderr, absl::StrCat("worker ", options_.worker_id),
                absl::StrCat("LeaseJob failed, retrying in ",
                             absl::FormatDuration(backoff), ": ",
                             ServerErrorLine(leased.status())));
      stopped_.WaitForNotificationWithTimeout(backoff);
      backoff = std::min(backoff * 2, kMaxLeaseBackoff);
      continue;
    }
    backoff = kFirstLeaseBackoff;
    if (!leased->has_job()) continue;
    const JobEnding ending = RunJob(leased->job(), leased->lease());
    if (stopped_.HasBeenNotified()) break;
    if (options_.once) {
      return ending == JobEnding::kSucceeded ? kExitOk : kExitJobUnsuccessful;
    }
  }
  PrintLine(stdout, absl::StrCat("worker ", options_.worker_id), "stopped");
  return kExitOk;
}

ReferenceWorker::JobEnding ReferenceWorker::RunJob(const v1::Job& job,
                                                   const v1::Lease& lease) {
  const std::string& job_id = lease.job_id();
  SayAboutJob(
      job_id,
      absl::StrCat(
          "leased: ", JobKindName(job.kind()), ", attempt ", lease.attempt(),
          job.max_attempts() > 0 ? absl::StrCat(" of ", job.max_attempts())
                                 : "",
          ", lease until ", TimeText(ToAbslTime(lease.expire_time()))));

  // Reports `failure` with FailJob and prints how the job was left.
  auto fail = [&](const google::rpc::Status& failure, bool retryable) {
    absl::StatusOr<v1::Job> reported = ReportWithRetry([&] {
      return client_.FailJob(job_id, lease.lease_id(), failure, retryable);
    });
    if (!reported.ok()) {
      SayAboutJob(job_id, absl::StrCat("could not report the failure: ",
                                       ServerErrorLine(reported.status())));
    } else {
      SayAboutJob(job_id, EndingText(*reported, failure.message()));
    }
    return JobEnding::kUnsuccessful;
  };

  absl::StatusOr<std::string> command =
      options_.command.Expand(job, lease.attempt());
  if (!command.ok()) {
    return fail(ErrorStatus(kCodeInvalidArgument,
                            absl::StrCat("cannot build the command: ",
                                         command.status().message())),
                /*retryable=*/false);
  }
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) {
      return fail(ErrorStatus(kCodeUnavailable,
                              absl::StrCat("worker ", options_.worker_id,
                                           " stopped before the command "
                                           "started")),
                  /*retryable=*/true);
    }
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(*command);
  if (!child.ok()) {
    return fail(
        ErrorStatus(kCodeUnavailable, absl::StrCat("cannot run the command: ",
                                                   child.status().message())),
        /*retryable=*/true);
  }
  {
    absl::MutexLock lock(&mutex_);
    running_child_ = child->get();
    if (stopping_) {  // Stop() came after the check above
      child_stopped_by_worker_ = true;
      (*child)->Terminate(options_.kill_grace);
    }
  }
  SayAboutJob(job_id,
              absl::StrCat("running (pid ", (*child)->pid(), "): ", *command));

  LeaseKeeper keeper(client_, lease, HeartbeatInterval(job, lease), **child,
                     options_.kill_grace);
  const ChildOutcome outcome = (*child)->Wait();
  keeper.Finish();
  bool stopped_by_worker = false;
  {
    absl::MutexLock lock(&mutex_);
    running_child_ = nullptr;
    stopped_by_worker = child_stopped_by_worker_;
    child_stopped_by_worker_ = false;
  }
  SayAboutJob(job_id, absl::StrCat("command ", outcome.Describe()));

  if (keeper.lease_lost()) {
    SayAboutJob(job_id,
                "dropped: the lease was lost, so the outcome is not "
                "reported");
    return JobEnding::kUnsuccessful;
  }
  absl::StatusOr<v1::Job> reported;
  if (outcome.succeeded()) {
    // Also when a cancel was requested meanwhile: the work is done.
    v1::JobResult result;
    result.set_output_uri(OutputLocationOf(job));
    result.set_details_json(ResultDetailsJson(outcome));
    reported = ReportWithRetry(
        [&] { return client_.CompleteJob(job_id, lease.lease_id(), result); });
    if (!reported.ok() &&
        reported.status().code() == absl::StatusCode::kInvalidArgument) {
      // The result itself is refused (e.g. too large): without a report the
      // job would wait for its lease to expire.
      return fail(ErrorStatus(kCodeInvalidArgument,
                              absl::StrCat("the result was refused: ",
                                           reported.status().message())),
                  /*retryable=*/false);
    }
  } else if (keeper.cancel_requested()) {
    reported = ReportWithRetry(
        [&] { return client_.AcknowledgeCancel(job_id, lease.lease_id()); });
  } else if (stopped_by_worker) {
    return fail(ErrorStatus(kCodeUnavailable,
                            absl::StrCat("worker ", options_.worker_id,
                                         " stopped before the command "
                                         "finished (command ",
                                         outcome.Describe(), ")")),
                /*retryable=*/true);
  } else {
    return fail(ErrorStatus(kCodeUnknown, FailureMessage(outcome)),
                options_.retry_failures);
  }
  if (!reported.ok()) {
    SayAboutJob(job_id, absl::StrCat(IsLeaseLost(reported.status())
                                         ? "dropped: the lease was lost: "
                                         : "could not report the outcome: ",
                                     ServerErrorLine(reported.status())));
    return JobEnding::kUnsuccessful;
  }
  SayAboutJob(job_id, EndingText(*reported));
  return reported->state() == v1::Job::SUCCEEDED ? JobEnding::kSucceeded
                                                 : JobEnding::kUnsuccessful;
}

void ReferenceWorker::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    stopping_ = true;
    if (running_child_ != nullptr) {
      child_stopped_by_worker_ = true;
      running_child_->Terminate(options_.kill_grace);
    }
  }
  stopped_.Notify();
  lease_canceller_.Cancel();
}

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    strncpy(host, "worker", sizeof host - 1);
  }
  std::string id = absl::StrCat(host, "-", getpid());
  for (char& c : id) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != ':' &&
        c != '-') {
      c = '-';
    }
  }
  // Keep the pid, which ends the ID.
  if (id.size() > 128) id = id.substr(id.size() - 128);
  return id;
}

namespace {

// Write end of the self-pipe the signal handler reports signals through.
int signal_pipe_write_fd = -1;

void OnStopSignal(int signal_number) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  (void)!write(signal_pipe_write_fd, &byte, 1);
  errno = saved_errno;
}

}  // namespace

int RunWorkerUntilSignaled(ReferenceWorker& worker) {
  int signal_pipe[2];
  if (pipe2(signal_pipe, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "jobctl: cannot make a pipe: %s\n", strerror(errno));
    return kExitServerError;
  }
  signal_pipe_write_fd = signal_pipe[1];
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction old_interrupt = {};
  struct sigaction old_terminate = {};
  sigaction(SIGINT, &action, &old_interrupt);
  sigaction(SIGTERM, &action, &old_terminate);

  // A zero byte (never a signal number) ends the watcher.
  std::thread watcher([&worker, read_fd = signal_pipe[0]] {
    for (;;) {
      unsigned char byte = 0;
      const ssize_t count = read(read_fd, &byte, 1);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0 || byte == 0) return;
      const char* name = sigabbrev_np(byte);
      PrintLine(
          stdout, "worker",
          absl::StrCat("got SIG", name == nullptr ? "?" : name, ": stopping"));
      worker.Stop();
    }
  });

  const int exit_code = worker.Run();

  sigaction(SIGINT, &old_interrupt, nullptr);
  sigaction(SIGTERM, &old_terminate, nullptr);
  const unsigned char stop_byte = 0;
  (void)!write(signal_pipe[1], &stop_byte, 1);
  watcher.join();
  signal_pipe_write_fd = -1;
  close(signal_pipe[0]);
  close(signal_pipe[1]);
  return exit_code;
}

}  // namespace jobcontrol
