// JobControlServer: the whole daemon as an object (composition root).
// jobcontrold's main() and the integration tests both run it.
#ifndef JOBCONTROL_SERVER_JOBCONTROL_SERVER_H_
#define JOBCONTROL_SERVER_JOBCONTROL_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jobcontrol {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see grpc_port()).
  std::string grpc_listen = "127.0.0.1:50051";
  // host:port of the HTTP gateway (ICE and MPC dialects); port 0 picks a free
  // port (see http_port()); empty means no gateway.
  std::string http_listen = "127.0.0.1:8080";
  // Directory of the embedded store (created if missing).
  std::string data_dir = "./var";
  // Credentials textproto; empty means <data_dir>/credentials.textproto.
  std::string credentials_path;
};

// What Start() did that the operator should be told.
struct StartupReport {
  std::string credentials_path;
  // Set when Start() created a credentials file: the dev bearer token in it.
  // Printed once to the operator's terminal, never logged elsewhere.
  std::string created_dev_token;
};

class JobControlServer {
 public:
  // Opens the store, loads (or on first start creates) the credentials and
  // starts serving. Fails clearly when the port is taken (no SO_REUSEPORT
  // sharing), the credentials file is readable by others or malformed, or the
  // data directory cannot be used.
  static absl::StatusOr<std::unique_ptr<JobControlServer>> Start(
      const ServerOptions& options);
  ~JobControlServer();  // drains with a zero deadline if still running
  JobControlServer(const JobControlServer&) = delete;
  JobControlServer& operator=(const JobControlServer&) = delete;

  // The port actually listened on.
  int grpc_port() const;
  // The HTTP gateway's port; 0 when http_listen was empty.
  int http_port() const;
  const StartupReport& startup_report() const;

  // Graceful stop: the HTTP gateway stops (its calls in flight finish first),
  // health turns NOT_SERVING, new calls are refused, in-flight
  // calls get up to `timeout` to finish, then are cancelled; the store is
  // flushed and closed. Idempotent; thread-safe.
  void Drain(absl::Duration timeout);

  // SQLite transactions the store has committed since Start() (each is one
  // WAL fsync; group commit puts many writes in one): what bench/ reports
  // as fsyncs. After Drain(), the count at close. Thread-safe.
  int64_t StoreCommitCount();

 private:
  class Impl;
  explicit JobControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_JOBCONTROL_SERVER_H_
