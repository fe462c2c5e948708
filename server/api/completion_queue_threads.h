// CompletionQueueThreads: the threads that take the events of one
// grpc::ServerCompletionQueue (the calls of jobcontrold's asynchronous
// methods, JobWriteCalls) and hand each to its CompletionQueueEvent.
//
// Lifecycle: the queue comes from ServerBuilder::AddCompletionQueue, before
// BuildAndStart; Start() after it; Shutdown() only once the server has shut
// down and no call will be started or answered any more.
//
// Thread-safety: Start and Shutdown are called from the owner's thread.
#ifndef JOBCONTROL_SERVER_API_COMPLETION_QUEUE_THREADS_H_
#define JOBCONTROL_SERVER_API_COMPLETION_QUEUE_THREADS_H_

#include <memory>
#include <thread>
#include <vector>

#include "grpcpp/completion_queue.h"

namespace jobcontrol {

// What a tag on the queue stands for: the tag passed to gRPC is the
// CompletionQueueEvent*.
class CompletionQueueEvent {
 public:
  // On a queue thread; `ok` as gRPC reported it for the tag.
  virtual void OnEvent(bool ok) = 0;

 protected:
  ~CompletionQueueEvent() = default;
};

class CompletionQueueThreads {
 public:
  CompletionQueueThreads(std::unique_ptr<grpc::ServerCompletionQueue> queue,
                         int thread_count);
  ~CompletionQueueThreads();  // Shutdown()
  CompletionQueueThreads(const CompletionQueueThreads&) = delete;
  CompletionQueueThreads& operator=(const CompletionQueueThreads&) = delete;

  grpc::ServerCompletionQueue* queue() const { return queue_.get(); }

  void Start();
  // Shuts the queue down, hands out its last events and joins the threads.
  // Idempotent.
  void Shutdown();

 private:
  void Poll();

  const std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  const int thread_count_;
  std::vector<std::thread> threads_;
  bool shut_down_ = false;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_COMPLETION_QUEUE_THREADS_H_
