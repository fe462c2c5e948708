#include "tests/daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace test {
namespace {

std::string ErrnoText(absl::string_view what) {
  return absl::StrCat(what, ": ", std::strerror(errno));
}

std::string Quoted(const std::string& output) {
  if (output.empty()) return "it printed nothing";
  return absl::StrCat("it printed:\n", output);
}

// Writes `text` to fd 2 with async-signal-safe calls only (after fork()).
void WriteToStderrAfterFork(const char* text) {
  size_t size = 0;
  while (text[size] != '\0') ++size;
  while (size > 0) {
    const ssize_t n = write(STDERR_FILENO, text, size);
    if (n <= 0) return;
    text += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

bool DaemonExitStatus::exited() const { return WIFEXITED(wait_status); }
int DaemonExitStatus::exit_code() const { return WEXITSTATUS(wait_status); }
bool DaemonExitStatus::killed() const { return WIFSIGNALED(wait_status); }
int DaemonExitStatus::signal() const { return WTERMSIG(wait_status); }

std::string DaemonExitStatus::ToString() const {
  if (exited()) return absl::StrCat("exit code ", exit_code());
  if (killed()) {
    return absl::StrCat("killed by signal ", signal(), " (",
                        strsignal(signal()), ")");
  }
  return absl::StrCat("wait status ", wait_status);
}

std::string JobcontroldPath() {
  const char* dir = std::getenv("JOBCONTROL_BIN_DIR");
  const std::string bin_dir =
      dir != nullptr && *dir != '\0' ? dir : "./build/bin";
  return absl::StrCat(bin_dir, "/jobcontrold");
}

absl::StatusOr<std::unique_ptr<DaemonProcess>> DaemonProcess::Launch(
    const std::vector<std::string>& flags) {
  const std::string binary = JobcontroldPath();
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "cannot run ", binary, " (", std::strerror(errno),
        "); build the jobcontrold target or set JOBCONTROL_BIN_DIR"));
  }
  // Everything the child needs is prepared before fork(): between fork() and
  // exec() a child of a multi-threaded process may only make
  // async-signal-safe calls.
  std::vector<std::string> args = {binary};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string exec_failed =
      absl::StrCat("daemon_process: exec ", binary, " failed\n");

  int stdout_pipe[2];
  int stderr_pipe[2];
  // O_CLOEXEC: no other child (another daemon of the same test) inherits
  // this daemon's pipes, which would keep them from reaching end of file.
  if (pipe2(stdout_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(ErrnoText("pipe2"));
  }
  if (pipe2(stderr_pipe, O_CLOEXEC) != 0) {
    const std::string error = ErrnoText("pipe2");
    close(stdout_pipe[0]);
    close(stdout_pipe[1]);
    return absl::InternalError(error);
  }
  const int dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {
    // The daemon must not outlive a test process that dies without running
    // destructors.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dev_null >= 0) dup2(dev_null, STDIN_FILENO);
    dup2(stdout_pipe[1], STDOUT_FILENO);
    dup2(stderr_pipe[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    WriteToStderrAfterFork(exec_failed.c_str());
    _exit(127);
  }
  const std::string fork_error = pid < 0 ? ErrnoText("fork") : "";
  if (dev_null >= 0) close(dev_null);
  close(stdout_pipe[1]);
  close(stderr_pipe[1]);
  if (pid < 0) {
    close(stdout_pipe[0]);
    close(stderr_pipe[0]);
    return absl::InternalError(fork_error);
  }
  return std::unique_ptr<DaemonProcess>(
      new DaemonProcess(pid, stdout_pipe[0], stderr_pipe[0]));
}

absl::StatusOr<std::unique_ptr<DaemonProcess>> DaemonProcess::Start(
    const std::vector<std::string>& flags, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<DaemonProcess>> daemon = Launch(flags);
  if (!daemon.ok()) return daemon.status();
  absl::StatusOr<int> port = (*daemon)->WaitUntilServing(timeout);
  if (!port.ok()) {
    return absl::Status(port.status().code(),
                        absl::StrCat("jobcontrold ", absl::StrJoin(flags, " "),
                                     ": ", port.status().message()));
  }
  return daemon;
}

DaemonProcess::DaemonProcess(pid_t pid, int stdout_fd, int stderr_fd)
    : pid_(pid), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd) {
  reader_ = std::thread([this] { ReadOutput(); });
}

DaemonProcess::~DaemonProcess() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!exit_status_.has_value()) {
      kill(pid_, SIGKILL);
      ReapLocked();
    }
  }
  // The process is gone, so both pipes reach end of file and the reader ends.
  if (reader_.joinable()) reader_.join();
  close(stdout_fd_);
  close(stderr_fd_);
}

void DaemonProcess::ReadOutput() {
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  int open_count = 2;
  char buffer[4096];
  while (open_count > 0) {
    const int ready = poll(fds, 2, /*timeout=*/-1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        fds[i].fd = -1;  // poll() ignores negative descriptors
        --open_count;
      } else {
        AppendOutputLocked(buffer, static_cast<size_t>(n), i == 0);
      }
      changed_.notify_all();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  output_closed_ = true;
  changed_.notify_all();
}

void DaemonProcess::AppendOutputLocked(const char* data, size_t size,
                                       bool is_stdout) {
  output_.append(data, size);
  if (!is_stdout) return;
  stdout_partial_line_.append(data, size);
  size_t newline;
  while ((newline = stdout_partial_line_.find('\n')) != std::string::npos) {
    const std::string line = stdout_partial_line_.substr(0, newline);
    stdout_partial_line_.erase(0, newline + 1);
    if (port_ != 0) continue;
    const absl::string_view view(line);
    if (view.substr(0, sizeof(kServingLinePrefix) - 1) != kServingLinePrefix) {
      continue;
    }
    serving_line_ = line;
    const size_t colon = view.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(view.substr(colon + 1), &port) || port <= 0 ||
        port > 65535) {
      port = -1;
    }
    port_ = port;
  }
}

absl::StatusOr<int> DaemonProcess::WaitUntilServing(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool done =
      changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [this] { return port_ != 0 || output_closed_; });
  if (port_ > 0) return port_;
  if (port_ < 0) {
    return absl::InternalError(absl::StrCat(
        "no port in serving line \"", serving_line_, "\"; ", Quoted(output_)));
  }
  if (!done) {
    return absl::DeadlineExceededError(
        absl::StrCat("no \"", kServingLinePrefix, "<port>\" line within ",
                     absl::FormatDuration(timeout), "; ", Quoted(output_)));
  }
  // Output closed without a serving line: the daemon is exiting.
  const DaemonExitStatus status = ReapLocked();
  return absl::FailedPreconditionError(absl::StrCat(
      "ended before serving (", status.ToString(), "); ", Quoted(output_)));
}

int DaemonProcess::port() const {
  std::lock_guard<std::mutex> lock(mu_);
  return port_ > 0 ? port_ : 0;
}

std::string DaemonProcess::address() const {
  return absl::StrCat("127.0.0.1:", port());
}

std::string DaemonProcess::Output() const {
  std::lock_guard<std::mutex> lock(mu_);
  return output_;
}

void DaemonProcess::Kill(int signal) {
  std::lock_guard<std::mutex> lock(mu_);
  if (exit_status_.has_value()) return;
  kill(pid_, signal);
}

absl::StatusOr<DaemonExitStatus> DaemonProcess::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (exit_status_.has_value()) return *exit_status_;
  // A process's pipes reach end of file when it exits; waiting for that
  // (rather than in waitpid) lets the wait time out.
  if (!changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                         [this] { return output_closed_; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("jobcontrold (pid ", pid_, ") still running after ",
                     absl::FormatDuration(timeout), "; ", Quoted(output_)));
  }
  return ReapLocked();
}

DaemonExitStatus DaemonProcess::ReapLocked() {
  if (exit_status_.has_value()) return *exit_status_;
  int wait_status = 0;
  while (waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
  }
  exit_status_ = DaemonExitStatus{wait_status};
  return *exit_status_;
}

}  // namespace test
}  // namespace jobcontrol
