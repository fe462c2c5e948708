// bench_http_loadgen: drives one ICE action of jobcontrold's HTTP gateway at
// a fixed concurrency for a fixed time, over HTTP/1.1 keep-alive (one
// connection per concurrent caller, each a closed loop), and prints one
// JSON line in bench_grpc_loadgen's format (LoadReport).
//
// Every request is signed as Alibaba Cloud's V1 SDKs (@alicloud/pop-core)
// sign it: GET with every parameter in the query, a fresh Timestamp and
// SignatureNonce, HMAC-SHA1 signature V1. The signing is the server's own
// code (server/gateway/ice_signature_v1.h, percent_encoding.h), so client
// and server cannot drift apart; the gateway still checks the signature,
// timestamp and nonce of every request, as for any caller.
//
// Actions: CancelDNAJob (each id of --ids_file used once: cancel queued
// jobs) and QueryDNAJobList (one id per request, cycling over --ids_file).
// Calls are counted by HTTP status, with the ICE error Code for non-200
// answers ("400 SignatureNonceUsed"); a run with any non-200 answer, or
// a broken connection ("IO_ERROR"), is not clean and reports no
// throughput. The secret comes from $ICE_ACCESS_KEY_SECRET.
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
#include "bench/loadgen/job_requests.h"
#include "bench/loadgen/load_report.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/ice_signature_v1.h"
#include "server/gateway/percent_encoding.h"

ABSL_FLAG(std::string, target, "127.0.0.1:8080", "gateway host:port (IPv4)");
ABSL_FLAG(std::string, action, "QueryDNAJobList",
          "CancelDNAJob or QueryDNAJobList");
ABSL_FLAG(std::string, ids_file, "", "job ids, one per line");
ABSL_FLAG(std::string, access_key_id, "", "AccessKeyId of the signer");
ABSL_FLAG(int, concurrency, 1, "connections, one closed-loop caller each");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "unmeasured warm-up");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured window");

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

  // Sends `request`, reads one response; its status ("200", "400 <Code>")
  // or "IO_ERROR" (the connection is then unusable).
  std::string RoundTrip(const std::string& request) {
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
    if (!has_length) return Broken();  // the gateway always sends one
    const size_t total = header_end + 4 + content_length;
    while (buffer_.size() < total) {
      if (!Fill()) return Broken();
    }
    std::string result = status;
    if (status != "200") {
      const absl::string_view body(buffer_.data() + header_end + 4,
                                   content_length);
      constexpr absl::string_view kCode = "\"Code\":\"";
      const size_t at = body.find(kCode);
      if (at != absl::string_view::npos) {
        const size_t start = at + kCode.size();
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

struct Caller {
  std::map<std::string, int64_t> measured;
  std::map<std::string, int64_t> unmeasured;
  std::vector<int64_t> latencies_ns;
  bool source_exhausted = false;
};

// The signed GET request for `action` on `job_id`, as pop-core sends it.
std::string SignedRequest(const std::string& host_header,
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

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives a signed ICE action of the HTTP gateway; prints a JSON "
      "report.\nUsage: ICE_ACCESS_KEY_SECRET=... bench_http_loadgen "
      "--target=127.0.0.1:8080 --access_key_id=AKID --action=CancelDNAJob "
      "--ids_file=ids.txt --concurrency=16 --duration=5s");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string action = absl::GetFlag(FLAGS_action);
  const std::string access_key_id = absl::GetFlag(FLAGS_access_key_id);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const char* secret_env = std::getenv("ICE_ACCESS_KEY_SECRET");
  const size_t colon = target.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(target.substr(colon + 1), &port) ||
      (action != "CancelDNAJob" && action != "QueryDNAJobList") ||
      access_key_id.empty() || secret_env == nullptr || concurrency < 1 ||
      duration <= absl::ZeroDuration() || warmup < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "bench_http_loadgen: needs --target=HOST:PORT, --action "
                 "CancelDNAJob or QueryDNAJobList, --access_key_id, "
                 "$ICE_ACCESS_KEY_SECRET, --concurrency >= 1, --duration > 0\n");
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
  const bool single_use = action == "CancelDNAJob";

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
        ++caller.unmeasured["IO_ERROR"];
        return;
      }
      for (uint64_t sequence = 0; Clock::now() < end; ++sequence) {
        const uint64_t index = next_id.fetch_add(1);
        if (single_use && index >= ids->size()) {
          caller.source_exhausted = true;
          return;
        }
        const std::string request = SignedRequest(
            target, action, (*ids)[index % ids->size()], access_key_id,
            secret, absl::StrCat(nonce_prefix, "-", c, "-", sequence));
        const Clock::time_point start = Clock::now();
        const std::string status = connection.RoundTrip(request);
        const Clock::time_point done = Clock::now();
        if (start >= measure_start && done <= end) {
          ++caller.measured[status];
          if (status == "200") {
            caller.latencies_ns.push_back(
                std::chrono::duration_cast<std::chrono::nanoseconds>(done -
                                                                     start)
                    .count());
          }
        } else {
          ++caller.unmeasured[status];
        }
        if (status == "IO_ERROR") return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  jobcontrol::bench::LoadReport report;
  report.method = absl::StrCat("ICE ", action, " (signature V1)");
  report.target = target;
  report.concurrency = concurrency;
  report.threads = concurrency;
  report.connections = concurrency;
  report.warmup_s = absl::ToDoubleSeconds(warmup);
  report.duration_s = absl::ToDoubleSeconds(duration);
  std::vector<int64_t> latencies;
  for (Caller& caller : callers) {
    // LoadReport counts "OK" as success: 200 is this protocol's OK.
    for (const auto& [status, count] : caller.measured) {
      report.status_counts[status == "200" ? "OK" : status] += count;
    }
    for (const auto& [status, count] : caller.unmeasured) {
      report.unmeasured_status_counts[status == "200" ? "OK" : status] +=
          count;
    }
    report.source_exhausted |= caller.source_exhausted;
    latencies.insert(latencies.end(), caller.latencies_ns.begin(),
                     caller.latencies_ns.end());
  }
  report.latency = jobcontrol::bench::SummarizeLatencies(latencies);
  std::printf("%s\n", report.ToJson().c_str());
  return 0;
}
