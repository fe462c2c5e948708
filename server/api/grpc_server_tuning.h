// How jobcontrold's gRPC server process is tuned: the sync server's thread
// policy, the threads of the asynchronous methods, and Abseil's mutex
// deadlock detection. bench/'s baseline server
// applies the same tuning, so a benchmark ratio compares the handlers, not
// two configurations of the same gRPC stack.
//
// Threads. gRPC's sync server runs each call on a thread of its own, taken from a
// per-completion-queue pool. With gRPC's defaults (at most 2 idle polling
// threads, threads without bound) a call that blocks — a write waiting for
// its group commit, a long-poll — makes the pool start a new thread for the
// next call and end one when it returns: about one thread created and
// destroyed per call under load (measured: ~200 per second at 3,000
// SubmitJob/s, half the process's CPU). So:
// - up to kMaxIdlePollingThreads finished threads stay and poll for the next
//   call instead of exiting. The bound must exceed the calls that block at
//   once: a group commit completes a whole group of blocked calls together,
//   and every finished thread beyond the bound exits, only for the pool to
//   start as many again for the calls that follow. At 16 (the earlier value)
//   CancelJob at 64 calls in flight still created ~1,100 threads a second
//   (each ending in an munmap that flushes every CPU's TLB); at 256, none,
//   and CancelJob and SubmitJob ran 25-80% faster in interleaved runs, with
//   GetJob unchanged. Idle pollers cost little: they sleep on the completion
//   queue and only one of them polls at a time;
// - at most kMaxServerThreads threads exist. LeaseJob long-polls (up to
//   60 s), WaitJob (up to 10 min) and WatchJob streams (until the job ends)
//   each hold a thread while they wait, so the bound is far above the number
//   of calls that compute. Beyond it a new call fails at once with
//   RESOURCE_EXHAUSTED, the overload answer of design.md §3, instead of the
//   process running out of memory. (Waiting threads cost little: stacks are
//   reserved, not committed.)
//
// Asynchronous calls. SubmitJob and CancelJob are served through gRPC's
// asynchronous API (JobWriteCalls) by AsyncCallThreadCount() threads on one
// completion queue: one per core, since they never sleep on a commit.
//
// Deadlock detection. Debian builds Abseil without NDEBUG, so by default
// every absl::Mutex acquisition (gRPC's own locks included) updates a global
// lock-order graph: about 10% of GetJob throughput at 64 calls in flight.
// Only the binaries turn it off: tests that run the server in-process
// (tests/test_server.h) keep the detection.
#ifndef JOBCONTROL_SERVER_API_GRPC_SERVER_TUNING_H_
#define JOBCONTROL_SERVER_API_GRPC_SERVER_TUNING_H_

#include "grpcpp/server_builder.h"

namespace jobcontrol {

inline constexpr int kMaxServerThreads = 2048;
inline constexpr int kMaxIdlePollingThreads = 256;

// Sets the thread bound (a resource quota) and the idle polling threads on
// `builder`, before BuildAndStart.
void ApplySyncServerThreadPolicy(grpc::ServerBuilder& builder);

// Threads that take the calls of the asynchronous methods: the cores.
int AsyncCallThreadCount();

// Turns off Abseil's mutex deadlock detection for the whole process; call
// once at startup, before any thread locks a mutex.
void TurnOffMutexDeadlockDetection();

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_GRPC_SERVER_TUNING_H_
