#include "client/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace jobcontrol {
namespace {

// Most bytes read from one pipe before Wait() looks at the rest again, and
// after the shell exited (a pipe holds 64 KiB unless a process that left the
// group keeps writing).
constexpr size_t kReadBatchBytes = 64 * 1024;
constexpr size_t kFinalReadBytes = 1024 * 1024;

absl::Status ErrnoError(absl::string_view what, int error) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(error)));
}

void CloseIfOpen(int fd) {
  if (fd >= 0) close(fd);
}

// Keeps the last `limit` bytes appended.
class OutputTail {
 public:
  explicit OutputTail(size_t limit) : limit_(limit) {}

  void Append(const char* data, size_t size) {
    text_.append(data, size);
    // Trimmed in batches so that appending stays linear.
    if (text_.size() > 2 * limit_) text_.erase(0, text_.size() - limit_);
  }

  std::string Take() {
    if (text_.size() > limit_) text_.erase(0, text_.size() - limit_);
    return ValidUtf8(text_);
  }

 private:
  const size_t limit_;
  std::string text_;
};

// Reads what the non-blocking `*fd` has, but at most about `max_bytes` so
// that a command writing without pause cannot keep the caller from its other
// work; at end of file (or on an error) closes it and sets it to -1.
void ReadAvailable(int* fd, OutputTail& tail, size_t max_bytes) {
  char buffer[4096];
  for (size_t total = 0; *fd >= 0 && total < max_bytes;) {
    const ssize_t count = read(*fd, buffer, sizeof buffer);
    if (count > 0) {
      tail.Append(buffer, static_cast<size_t>(count));
      total += static_cast<size_t>(count);
      continue;
    }
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close(*fd);
    *fd = -1;
  }
}

}  // namespace

std::string ChildOutcome::Describe() const {
  if (exited) return absl::StrCat("exited with status ", exit_code);
  const char* abbreviation = sigabbrev_np(signal);
  return abbreviation == nullptr ? absl::StrCat("killed by signal ", signal)
                                 : absl::StrCat("killed by signal ", signal,
                                                " (SIG", abbreviation, ")");
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::string& command, size_t tail_bytes) {
  int stdout_pipe[2];
  int stderr_pipe[2];
  int wake_pipe[2];
  if (pipe2(stdout_pipe, O_CLOEXEC) != 0) {
    return ErrnoError("cannot make a pipe", errno);
  }
  if (pipe2(stderr_pipe, O_CLOEXEC) != 0) {
    const int error = errno;
    close(stdout_pipe[0]);
    close(stdout_pipe[1]);
    return ErrnoError("cannot make a pipe", error);
  }
  if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int error = errno;
    for (int fd :
         {stdout_pipe[0], stdout_pipe[1], stderr_pipe[0], stderr_pipe[1]}) {
      close(fd);
    }
    return ErrnoError("cannot make a pipe", error);
  }
  auto close_all = [&] {
    for (int fd : {stdout_pipe[0], stdout_pipe[1], stderr_pipe[0],
                   stderr_pipe[1], wake_pipe[0], wake_pipe[1]}) {
      close(fd);
    }
  };

  // Orphans of the command become our children, so that Wait() can reap
  // (and so wait for) what the command leaves in its group.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group (pgid = its pid), an empty signal mask, and the
  // default action for the signals the worker handles or might ignore.
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal_number :
       {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, signal_number);
  }
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP |
                                            POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);

  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, "/bin/sh", &actions, &attributes,
                                      const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    close_all();
    return ErrnoError("cannot start /bin/sh", spawn_error);
  }
  close(stdout_pipe[1]);
  close(stderr_pipe[1]);
  // Only the parent's ends are non-blocking: Wait() reads what is there and
  // goes back to poll().
  for (int fd : {stdout_pipe[0], stderr_pipe[0]}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C".
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int error = errno;
    kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (int fd :
         {stdout_pipe[0], stderr_pipe[0], wake_pipe[0], wake_pipe[1]}) {
      close(fd);
    }
    return ErrnoError("cannot open a pidfd for the child (Linux 5.3+ needed)",
                      error);
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, pidfd, stdout_pipe[0], stderr_pipe[0], wake_pipe[0],
                       wake_pipe[1], tail_bytes));
}

ChildProcess::ChildProcess(pid_t pid, int pidfd, int stdout_fd, int stderr_fd,
                           int wake_read_fd, int wake_write_fd,
                           size_t tail_bytes)
    : pid_(pid),
      pidfd_(pidfd),
      stdout_fd_(stdout_fd),
      stderr_fd_(stderr_fd),
      wake_read_fd_(wake_read_fd),
      wake_write_fd_(wake_write_fd),
      tail_bytes_(tail_bytes) {}

void ChildProcess::ReapGroup(int* shell_status) {
  // While the shell is unreaped, its pid (the group's ID) cannot be reused.
  kill(-pid_, SIGKILL);
  while (waitpid(pid_, shell_status, 0) < 0 && errno == EINTR) {
  }
  // The group's other processes are our children by now (directly, or as
  // orphans handed to us, the subreaper). Killing again before each wait
  // also catches one forked while the first kill was on its way.
  for (;;) {
    kill(-pid_, SIGKILL);
    int status = 0;
    if (waitpid(-pid_, &status, 0) < 0 && errno != EINTR) break;  // ECHILD
  }
}

ChildProcess::~ChildProcess() {
  {
    absl::MutexLock lock(&mutex_);
    if (!reaped_) {
      int status = 0;
      ReapGroup(&status);
      reaped_ = true;
    }
  }
  CloseIfOpen(stdout_fd_);
  CloseIfOpen(stderr_fd_);
  close(pidfd_);
  close(wake_read_fd_);
  close(wake_write_fd_);
}

void ChildProcess::Terminate(absl::Duration grace) {
  absl::MutexLock lock(&mutex_);
  if (terminating_ || reaped_) return;
  terminating_ = true;
  // The shell is not reaped yet, so its pid (the group's ID) is still ours.
  kill(-pid_, SIGTERM);
  kill_deadline_ = absl::Now() + grace;
  const char wake = 1;
  // Non-blocking: if the pipe is full, Wait() is due to wake anyway.
  (void)!write(wake_write_fd_, &wake, 1);
}

ChildOutcome ChildProcess::Wait() {
  OutputTail stdout_tail(tail_bytes_);
  OutputTail stderr_tail(tail_bytes_);
  bool kill_sent = false;
  for (bool shell_exited = false; !shell_exited;) {
    absl::Time kill_deadline;
    {
      absl::MutexLock lock(&mutex_);
      kill_deadline = kill_deadline_;
    }
    if (!kill_sent && absl::Now() >= kill_deadline) {
      kill(-pid_, SIGKILL);
      kill_sent = true;
    }
    int timeout_ms = -1;
    if (!kill_sent && kill_deadline != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(
                       absl::ToInt64Milliseconds(kill_deadline - absl::Now())) +
                   1;
      if (timeout_ms < 0) timeout_ms = 0;
    }
    // A negative fd is skipped by poll(): so are the pipes at end of file.
    pollfd fds[] = {{stdout_fd_, POLLIN, 0},
                    {stderr_fd_, POLLIN, 0},
                    {pidfd_, POLLIN, 0},
                    {wake_read_fd_, POLLIN, 0}};
    const int ready = poll(fds, 4, timeout_ms);
    if (ready < 0) continue;  // EINTR; nothing else can fail here
    if (fds[0].revents != 0) {
      ReadAvailable(&stdout_fd_, stdout_tail, kReadBatchBytes);
    }
    if (fds[1].revents != 0) {
      ReadAvailable(&stderr_fd_, stderr_tail, kReadBatchBytes);
    }
    if (fds[3].revents != 0) {
      char drained[64];
      while (read(wake_read_fd_, drained, sizeof drained) > 0) {
      }
    }
    shell_exited = fds[2].revents != 0;
  }

  int status = 0;
  {
    absl::MutexLock lock(&mutex_);
    ReapGroup(&status);
    reaped_ = true;
  }
  // What the command wrote before it ended is in the pipes now; do not wait
  // for end of file, which a process that left the group could hold off.
  ReadAvailable(&stdout_fd_, stdout_tail, kFinalReadBytes);
  ReadAvailable(&stderr_fd_, stderr_tail, kFinalReadBytes);

  ChildOutcome outcome;
  outcome.exited = WIFEXITED(status);
  outcome.exit_code = outcome.exited ? WEXITSTATUS(status) : 0;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  outcome.stdout_tail = stdout_tail.Take();
  outcome.stderr_tail = stderr_tail.Take();
  return outcome;
}

std::string ValidUtf8(absl::string_view text) {
  constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
  std::string valid;
  valid.reserve(text.size());
  size_t i = 0;
  auto continuation = [&](size_t at, unsigned char low, unsigned char high) {
    if (at >= text.size()) return false;
    const unsigned char c = static_cast<unsigned char>(text[at]);
    return c >= low && c <= high;
  };
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = continuation(i + 1, 0x80, 0xBF) ? 2 : 0;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
      const unsigned char high = lead == 0xED ? 0x9F : 0xBF;
      length = continuation(i + 1, low, high) && continuation(i + 2, 0x80, 0xBF)
                   ? 3
                   : 0;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
      const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;
      length = continuation(i + 1, low, high) &&
                       continuation(i + 2, 0x80, 0xBF) &&
                       continuation(i + 3, 0x80, 0xBF)
                   ? 4
                   : 0;
    }
    if (length == 0) {
      valid += kReplacement;
      ++i;
    } else {
      valid.append(text.data() + i, length);
      i += length;
    }
  }
  return valid;
}

}  // namespace jobcontrol
