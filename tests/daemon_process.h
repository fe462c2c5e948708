// DaemonProcess: runs the real jobcontrold binary as a child process for
// end-to-end tests that need a process to crash, be signalled or refuse to
// start.
//
// The binary is $JOBCONTROL_BIN_DIR/jobcontrold (CMake sets the variable for
// gtest tests), else ./build/bin/jobcontrold. The child's stdout and stderr are
// pipes that a reader thread drains for the whole life of the process, so the
// daemon never blocks writing output; everything it printed is kept for
// assertions and error messages (Output()).
#ifndef JOBCONTROL_TESTS_DAEMON_PROCESS_H_
#define JOBCONTROL_TESTS_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jobcontrol {
namespace test {

// How a reaped process ended, from its waitpid() status.
struct DaemonExitStatus {
  int wait_status = 0;

  bool exited() const;           // by exit()/return from main
  int exit_code() const;         // valid when exited()
  bool killed() const;           // by a signal
  int signal() const;            // valid when killed()
  std::string ToString() const;  // "exit code 1", "killed by signal 9 (...)"
};

// The path of the jobcontrold binary these tests run.
std::string JobcontroldPath();

class DaemonProcess {
 public:
  // The line jobcontrold prints on stdout once it accepts calls, followed by
  // "host:port".
  static constexpr char kServingLinePrefix[] = "jobcontrold: serving gRPC on ";

  // Starts jobcontrold with `flags` (e.g. "--data_dir=/tmp/x") and returns
  // without waiting for it to serve. Fails if the binary is missing or the
  // process cannot be created.
  static absl::StatusOr<std::unique_ptr<DaemonProcess>> Launch(
      const std::vector<std::string>& flags);

  // Launch() and WaitUntilServing(): a daemon that serves, or the error
  // (which quotes what the daemon printed). A daemon that did not come up is
  // killed and reaped.
  static absl::StatusOr<std::unique_ptr<DaemonProcess>> Start(
      const std::vector<std::string>& flags,
      absl::Duration timeout = absl::Seconds(30));

  // Kills the process with SIGKILL if it was not reaped yet, reaps it and
  // stops the reader thread.
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Waits until the daemon prints its serving line and returns the port in
  // it. Errors quote everything the daemon printed: FAILED_PRECONDITION if it
  // exited (or closed its output) first, with how it ended; DEADLINE_EXCEEDED
  // if `timeout` passed; INTERNAL if the line has no port.
  absl::StatusOr<int> WaitUntilServing(
      absl::Duration timeout = absl::Seconds(30));

  // The port from the serving line; 0 before it was seen.
  int port() const;
  // "127.0.0.1:<port>", for clients.
  std::string address() const;
  pid_t pid() const { return pid_; }

  // Everything the daemon printed so far, stdout and stderr in the order the
  // reader saw them.
  std::string Output() const;

  // Sends `signal` to the daemon. No-op once it was reaped (so the pid can
  // never name another process).
  void Kill(int signal);

  // Waits until the daemon exits, reaps it and returns how it ended. Calling
  // it again returns the same status. DEADLINE_EXCEEDED (quoting the output)
  // if it is still running after `timeout`; it is then left running.
  absl::StatusOr<DaemonExitStatus> Wait(
      absl::Duration timeout = absl::Seconds(60));

 private:
  DaemonProcess(pid_t pid, int stdout_fd, int stderr_fd);
  // Body of reader_: drains both pipes until both reach end of file.
  void ReadOutput();
  // Records output of one stream; `is_stdout` lines are scanned for the
  // serving line. Called with mu_ held.
  void AppendOutputLocked(const char* data, size_t size, bool is_stdout);
  // Reaps the exited child (blocking) unless done already.
  DaemonExitStatus ReapLocked();

  const pid_t pid_;
  const int stdout_fd_;
  const int stderr_fd_;

  mutable std::mutex mu_;
  std::condition_variable changed_;  // output, serving line or end of output
  std::string output_;               // guarded by mu_
  std::string stdout_partial_line_;  // guarded by mu_
  int port_ = 0;                     // guarded by mu_; -1: line without port
  std::string serving_line_;         // guarded by mu_
  bool output_closed_ = false;       // guarded by mu_: both pipes at EOF
  std::optional<DaemonExitStatus> exit_status_;  // guarded by mu_

  std::thread reader_;
};

}  // namespace test
}  // namespace jobcontrol

#endif  // JOBCONTROL_TESTS_DAEMON_PROCESS_H_
