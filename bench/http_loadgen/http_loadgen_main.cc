// bench_http_loadgen: drives one action of jobcontrold's HTTP gateway, ICE
// or MPC, at a fixed concurrency for a fixed time, over HTTP/1.1 keep-alive
// (one connection per concurrent caller, each a closed loop), and prints one
// JSON line in bench_grpc_loadgen's format (LoadReport).
//
// Every request is signed the way the vendor's SDK signs it, by the server's
// own signing code, so client and server cannot drift apart; the gateway
// still checks every signature, as for any caller:
// - ICE (Alibaba Cloud @alicloud/pop-core): GET with every parameter in the
//   query, a fresh Timestamp and SignatureNonce, HMAC-SHA1 signature V1
//   (server/gateway/ice_signature_v1.h, percent_encoding.h). The secret comes
//   from $ICE_ACCESS_KEY_SECRET.
// - MPC (Huawei Cloud @huaweicloud/huaweicloud-sdk-core AKSKSigner):
//   SDK-HMAC-SHA256 over host, X-Project-Id and a fresh X-Sdk-Date, with the
//   SHA-256 of the (empty) body as payload hash (server/gateway/
//   mpc_signature.h). The secret comes from $MPC_SECRET_ACCESS_KEY.
//
// Actions: CancelDNAJob and MpcCancelEditingJob (DELETE
// /v2/{project_id}/editing/jobs/{job_id}) use each id of --ids_file once:
// they cancel queued jobs. QueryDNAJobList and MpcListEditingJobs (GET
// /v2/{project_id}/editing/jobs?job_id=) ask for one id per request,
// cycling over --ids_file.
//
// --paired_grpc_target: each caller alternates one signed request with the
// same operation called on jobcontrold's gRPC port directly (CancelJob on
// the next id for the cancels, GetJob of the same id for the lists), as the
// caller holding $JOBCTL_TOKEN, and the report holds both: {"via_gateway":
// <report>, "direct": <report>}. At concurrency 1 the two latencies are then
// taken in the same moments of a shared disk and machine, so their p50s
// differ by what the gateway adds; two runs seconds apart differ by ±150 µs
// of fdatasync drift for a commit.
//
// Calls are counted by HTTP status, with the vendor's error code for
// answers other than the action's success status ("400 SignatureNonceUsed",
// "403 MPC.10213"); a run with any such answer, or a broken connection
// ("IO_ERROR"), is not clean and reports no throughput. The success status
// (ICE 200, MPC cancel 204, MPC list 200) is counted as "OK".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "bench/loadgen/grpc_load_generator.h"
#include "bench/loadgen/job_requests.h"
#include "bench/loadgen/load_report.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/ice_signature_v1.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/mpc_routes.h"
#include "server/gateway/mpc_signature.h"
#include "server/gateway/percent_encoding.h"

ABSL_FLAG(std::string, target, "127.0.0.1:8080", "gateway host:port (IPv4)");
ABSL_FLAG(std::string, action, "QueryDNAJobList",
          "CancelDNAJob, QueryDNAJobList, MpcCancelEditingJob or "
          "MpcListEditingJobs");
ABSL_FLAG(std::string, project_id, "",
          "MPC project_id (the credential's tenant); MPC actions only");
ABSL_FLAG(std::string, ids_file, "", "job ids, one per line");
ABSL_FLAG(std::string, access_key_id, "", "AccessKeyId of the signer");
ABSL_FLAG(int, concurrency, 1, "connections, one closed-loop caller each");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "unmeasured warm-up");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured window");
ABSL_FLAG(std::string, paired_grpc_target, "",
          "jobcontrold's gRPC host:port: alternate each request with the "
          "same operation over gRPC directly and report both");

namespace {

using Clock = std::chrono::steady_clock;
using jobcontrol::gateway::AcsPercentEncode;
using jobcontrol::gateway::ParamList;

// One keep-alive connection and its request/response cycle.
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  bool Open(const std::string& host, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return false;
    return connect(fd_, reinterpret_cast<sockaddr*>(&address),
                   sizeof(address)) == 0;
  }

  // Sends `request`, reads one response; its status, followed for any
  // status but `success` by the value of the body's JSON member `code_key`
  // ("400 SignatureNonceUsed"), or "IO_ERROR" (the connection is then
  // unusable).
  std::string RoundTrip(const std::string& request, absl::string_view success,
                        absl::string_view code_key) {
    size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = send(fd_, request.data() + sent, request.size() - sent,
                             MSG_NOSIGNAL);
      if (n <= 0) return Broken();
      sent += static_cast<size_t>(n);
    }
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return Broken();
    }
    const absl::string_view head(buffer_.data(), header_end);
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || !absl::StartsWith(head, "HTTP/1.1 ")) {
      return Broken();
    }
    const std::string status(head.substr(9, 3));
    size_t content_length = 0;
    bool has_length = false;
    for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      if (absl::EqualsIgnoreCase(line.substr(0, colon), "content-length")) {
        has_length = absl::SimpleAtoi(
            absl::StripAsciiWhitespace(line.substr(colon + 1)),
            &content_length);
      }
    }
    // The gateway sends a length with every answer that may have a body;
    // a 204 has none, and no length.
    if (status == "204" && !has_length) {
      has_length = true;
      content_length = 0;
    }
    if (!has_length) return Broken();
    const size_t total = header_end + 4 + content_length;
    while (buffer_.size() < total) {
      if (!Fill()) return Broken();
    }
    std::string result = status;
    if (status != success) {
      const absl::string_view body(buffer_.data() + header_end + 4,
                                   content_length);
      const std::string key = absl::StrCat("\"", code_key, "\":\"");
      const size_t at = body.find(key);
      if (at != absl::string_view::npos) {
        const size_t start = at + key.size();
        const size_t end = body.find('"', start);
        absl::StrAppend(&result, " ", body.substr(start, end - start));
      }
    }
    buffer_.erase(0, total);
    return result;
  }

 private:
  bool Fill() {
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  std::string Broken() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return "IO_ERROR";
  }

  int fd_ = -1;
  std::string buffer_;
};

// What one caller measured of one path (the gateway, or gRPC directly).
struct Tally {
  std::map<std::string, int64_t> measured;
  std::map<std::string, int64_t> unmeasured;
  std::vector<int64_t> latencies_ns;

  // Counts a call that ran from `start` to `done` and ended with `status`
  // (`success` is the status of a success).
  void Count(const std::string& status, absl::string_view success,
             Clock::time_point start, Clock::time_point done,
             Clock::time_point measure_start, Clock::time_point end) {
    if (start >= measure_start && done <= end) {
      ++measured[status];
      if (status == success) {
        latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(done - start)
                .count());
      }
    } else {
      ++unmeasured[status];
    }
  }
};

struct Caller {
  Tally via_gateway;
  Tally direct;  // --paired_grpc_target only
  bool source_exhausted = false;
};

// The same operation as the gateway action, called over gRPC on `job_id`
// as the caller holding `bearer_token`: its gRPC status code name ("OK").
std::string CallDirectly(jobcontrol::v1::JobService::Stub& stub,
                         bool cancel, const std::string& job_id,
                         const std::string& bearer_token) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + bearer_token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Status status;
  jobcontrol::v1::Job job;
  if (cancel) {
    jobcontrol::v1::CancelJobRequest request;
    request.set_job_id(job_id);
    status = stub.CancelJob(&context, request, &job);
  } else {
    jobcontrol::v1::GetJobRequest request;
    request.set_job_id(job_id);
    status = stub.GetJob(&context, request, &job);
  }
  return jobcontrol::bench::StatusCodeName(status.error_code());
}

// The report of `tallies`' path; `success` counts as "OK".
jobcontrol::bench::LoadReport Summarize(
    const std::vector<const Tally*>& tallies, absl::string_view success) {
  jobcontrol::bench::LoadReport report;
  std::vector<int64_t> latencies;
  for (const Tally* tally : tallies) {
    for (const auto& [status, count] : tally->measured) {
      report.status_counts[status == success ? "OK" : status] += count;
    }
    for (const auto& [status, count] : tally->unmeasured) {
      report.unmeasured_status_counts[status == success ? "OK" : status] +=
          count;
    }
    latencies.insert(latencies.end(), tally->latencies_ns.begin(),
                     tally->latencies_ns.end());
  }
  report.latency = jobcontrol::bench::SummarizeLatencies(latencies);
  return report;
}

// What differs between the actions.
struct Action {
  std::string name;
  bool mpc = false;
  bool single_use = false;     // each id once (cancel)
  std::string success;         // the HTTP status of a success
  std::string code_key;        // the JSON member holding the error code
};

std::optional<Action> ActionNamed(const std::string& name) {
  if (name == "CancelDNAJob") return Action{name, false, true, "200", "Code"};
  if (name == "QueryDNAJobList") {
    return Action{name, false, false, "200", "Code"};
  }
  if (name == "MpcCancelEditingJob") {
    return Action{name, true, true, "204", "error_code"};
  }
  if (name == "MpcListEditingJobs") {
    return Action{name, true, false, "200", "error_code"};
  }
  return std::nullopt;
}

// The signed GET request for `action` on `job_id`, as pop-core sends it.
std::string IceSignedRequest(const std::string& host_header,
                          const std::string& action,
                          const std::string& job_id,
                          const std::string& access_key_id,
                          const std::string& secret,
                          const std::string& nonce) {
  ParamList params = {
      {"Format", "JSON"},
      {"Version", "2020-11-09"},
      {"AccessKeyId", access_key_id},
      {"SignatureMethod", "HMAC-SHA1"},
      {"Timestamp", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(),
                                     absl::UTCTimeZone())},
      {"SignatureVersion", "1.0"},
      {"SignatureNonce", nonce},
      {"Action", action},
      {action == "CancelDNAJob" ? "JobId" : "JobIds", job_id},
  };
  const std::string signature = jobcontrol::gateway::IceV1Signature(
      secret, jobcontrol::gateway::IceV1StringToSign("GET", params));
  params.emplace_back("Signature", signature);
  const std::string query = absl::StrJoin(
      params, "&", [](std::string* out, const auto& param) {
        absl::StrAppend(out, AcsPercentEncode(param.first), "=",
                        AcsPercentEncode(param.second));
      });
  return absl::StrCat("GET /?", query, " HTTP/1.1\r\nHost: ", host_header,
                      "\r\nUser-Agent: jobcontrol-bench\r\nAccept: "
                      "application/json\r\nConnection: keep-alive\r\n\r\n");
}

// The signed MPC request on `job_id` (cancel: DELETE .../jobs/{job_id};
// list: GET .../jobs?job_id=), as the SDK core's AKSKSigner signs it: the
// signed headers host, x-project-id and x-sdk-date (sorted), the payload
// hash the SHA-256 of the empty body.
std::string MpcSignedRequest(const std::string& host_header, bool cancel,
                             const std::string& project_id,
                             const std::string& job_id,
                             const std::string& access_key_id,
                             const std::string& secret) {
  using jobcontrol::gateway::LowerHex;
  using jobcontrol::gateway::Sha256;
  const std::string method = cancel ? "DELETE" : "GET";
  const std::string jobs_path =
      absl::StrCat("/v2/", project_id, "/editing/jobs");
  const std::string path =
      cancel ? absl::StrCat(jobs_path, "/", job_id) : jobs_path;
  const ParamList query =
      cancel ? ParamList{} : ParamList{{"job_id", job_id}};
  const std::string sdk_date = absl::FormatTime(
      "%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"host", host_header},
      {"x-project-id", project_id},
      {"x-sdk-date", sdk_date},
  };
  const std::vector<std::string> signed_headers = {"host", "x-project-id",
                                                   "x-sdk-date"};
  const std::string canonical = jobcontrol::gateway::MpcCanonicalRequest(
      method, path, query, headers, signed_headers, LowerHex(Sha256("")));
  const std::string signature = jobcontrol::gateway::MpcSignature(
      secret, jobcontrol::gateway::MpcStringToSign(sdk_date, canonical));
  const std::string target =
      cancel ? path
             : absl::StrCat(path, "?job_id=",
                            jobcontrol::gateway::AcsPercentEncode(job_id));
  return absl::StrCat(
      method, " ", target, " HTTP/1.1\r\nHost: ", host_header,
      "\r\nX-Project-Id: ", project_id, "\r\nX-Sdk-Date: ", sdk_date,
      "\r\nAuthorization: ", jobcontrol::gateway::kMpcSignatureAlgorithm,
      " Access=", access_key_id,
      ", SignedHeaders=host;x-project-id;x-sdk-date, Signature=", signature,
      "\r\nUser-Agent: jobcontrol-bench\r\nAccept: application/json\r\n"
      "Connection: keep-alive\r\n\r\n");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives a signed ICE or MPC action of the HTTP gateway; prints a JSON "
      "report.\nUsage: ICE_ACCESS_KEY_SECRET=... bench_http_loadgen "
      "--target=127.0.0.1:8080 --access_key_id=AKID --action=CancelDNAJob "
      "--ids_file=ids.txt --concurrency=16 --duration=5s\n"
      "       MPC_SECRET_ACCESS_KEY=... bench_http_loadgen ... "
      "--action=MpcCancelEditingJob --project_id=PROJECT ...");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::optional<Action> action = ActionNamed(absl::GetFlag(FLAGS_action));
  const std::string project_id = absl::GetFlag(FLAGS_project_id);
  const std::string access_key_id = absl::GetFlag(FLAGS_access_key_id);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const char* secret_env = std::getenv(
      action && action->mpc ? "MPC_SECRET_ACCESS_KEY" : "ICE_ACCESS_KEY_SECRET");
  const size_t colon = target.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(target.substr(colon + 1), &port) || !action ||
      (action->mpc && !jobcontrol::gateway::IsValidMpcId(project_id)) ||
      access_key_id.empty() || secret_env == nullptr || concurrency < 1 ||
      duration <= absl::ZeroDuration() || warmup < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "bench_http_loadgen: needs --target=HOST:PORT, --action "
                 "CancelDNAJob, QueryDNAJobList, MpcCancelEditingJob or "
                 "MpcListEditingJobs, --access_key_id, the secret "
                 "($ICE_ACCESS_KEY_SECRET, or $MPC_SECRET_ACCESS_KEY and a "
                 "valid --project_id for MPC), --concurrency >= 1, "
                 "--duration > 0\n");
    return 2;
  }
  const std::string host = target.substr(0, colon);
  const std::string secret = secret_env;
  auto ids = jobcontrol::bench::ReadJobIds(absl::GetFlag(FLAGS_ids_file));
  if (!ids.ok()) {
    std::fprintf(stderr, "bench_http_loadgen: %s\n",
                 std::string(ids.status().message()).c_str());
    return 2;
  }
  const bool single_use = action->single_use;  // the cancels
  const std::string paired_target = absl::GetFlag(FLAGS_paired_grpc_target);
  std::unique_ptr<jobcontrol::v1::JobService::Stub> direct_stub;
  std::string bearer_token;
  if (!paired_target.empty()) {
    const char* token = std::getenv("JOBCTL_TOKEN");
    if (token == nullptr || *token == '\0') {
      std::fprintf(stderr,
                   "bench_http_loadgen: --paired_grpc_target needs the "
                   "caller's bearer token in $JOBCTL_TOKEN\n");
      return 2;
    }
    bearer_token = token;
    direct_stub = jobcontrol::v1::JobService::NewStub(grpc::CreateChannel(
        paired_target, grpc::InsecureChannelCredentials()));
  }

  std::atomic<uint64_t> next_id{0};
  const Clock::time_point measure_start =
      Clock::now() + absl::ToChronoNanoseconds(warmup);
  const Clock::time_point end =
      measure_start + absl::ToChronoNanoseconds(duration);
  std::vector<Caller> callers(concurrency);
  std::vector<std::thread> threads;
  const std::string nonce_prefix =
      absl::StrCat("bench-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
  for (int c = 0; c < concurrency; ++c) {
    threads.emplace_back([&, c] {
      Caller& caller = callers[c];
      Connection connection;
      if (!connection.Open(host, port)) {
        ++caller.via_gateway.unmeasured["IO_ERROR"];
        return;
      }
      for (uint64_t sequence = 0; Clock::now() < end; ++sequence) {
        const uint64_t index = next_id.fetch_add(1);
        if (single_use && index >= ids->size()) {
          caller.source_exhausted = true;
          return;
        }
        const std::string& job_id = (*ids)[index % ids->size()];
        const std::string request =
            action->mpc
                ? MpcSignedRequest(target,
                                   action->name == "MpcCancelEditingJob",
                                   project_id, job_id, access_key_id, secret)
                : IceSignedRequest(
                      target, action->name, job_id, access_key_id, secret,
                      absl::StrCat(nonce_prefix, "-", c, "-", sequence));
        Clock::time_point start = Clock::now();
        const std::string status =
            connection.RoundTrip(request, action->success, action->code_key);
        caller.via_gateway.Count(status, action->success, start, Clock::now(),
                                 measure_start, end);
        if (status == "IO_ERROR") return;
        if (!direct_stub) continue;
        // A cancel takes the next id (each is used once); a list asks for
        // the same id again.
        std::string direct_id = job_id;
        if (single_use) {
          const uint64_t direct_index = next_id.fetch_add(1);
          if (direct_index >= ids->size()) {
            caller.source_exhausted = true;
            return;
          }
          direct_id = (*ids)[direct_index];
        }
        start = Clock::now();
        const std::string code =
            CallDirectly(*direct_stub, single_use, direct_id, bearer_token);
        caller.direct.Count(code, "OK", start, Clock::now(), measure_start,
                            end);
      }
    });
  }
  std::this_thread::sleep_until(measure_start);
  const double cpu_at_start = jobcontrol::bench::ProcessCpuSeconds();
  std::this_thread::sleep_until(end);
  const double cpu_at_end = jobcontrol::bench::ProcessCpuSeconds();
  for (std::thread& thread : threads) thread.join();

  std::vector<const Tally*> via_gateway;
  std::vector<const Tally*> direct;
  bool source_exhausted = false;
  for (const Caller& caller : callers) {
    via_gateway.push_back(&caller.via_gateway);
    direct.push_back(&caller.direct);
    source_exhausted |= caller.source_exhausted;
  }
  const auto describe = [&](jobcontrol::bench::LoadReport& report,
                            std::string method, const std::string& to) {
    report.method = std::move(method);
    report.target = to;
    report.concurrency = concurrency;
    report.threads = concurrency;
    report.connections = concurrency;
    report.warmup_s = absl::ToDoubleSeconds(warmup);
    report.duration_s = absl::ToDoubleSeconds(duration);
    // The one process's CPU: both paths' when paired.
    report.client_cpu_cores =
        (cpu_at_end - cpu_at_start) / absl::ToDoubleSeconds(duration);
    report.source_exhausted = source_exhausted;
  };
  jobcontrol::bench::LoadReport report =
      Summarize(via_gateway, action->success);
  describe(report,
           action->mpc
               ? absl::StrCat("MPC ", action->name, " (SDK-HMAC-SHA256)")
               : absl::StrCat("ICE ", action->name, " (signature V1)"),
           target);
  if (direct_stub) {
    jobcontrol::bench::LoadReport direct_report = Summarize(direct, "OK");
    describe(direct_report,
             absl::StrCat("gRPC ", single_use ? "CancelJob" : "GetJob",
                          " (paired)"),
             paired_target);
    std::printf("{\"via_gateway\":%s,\"direct\":%s}\n",
                report.ToJson().c_str(), direct_report.ToJson().c_str());
    return 0;
  }
  std::printf("%s\n", report.ToJson().c_str());
  return 0;
}
