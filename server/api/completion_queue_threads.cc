#include "server/api/completion_queue_threads.h"

#include <utility>

namespace jobcontrol {

CompletionQueueThreads::CompletionQueueThreads(
    std::unique_ptr<grpc::ServerCompletionQueue> queue, int thread_count)
    : queue_(std::move(queue)),
      thread_count_(thread_count < 1 ? 1 : thread_count) {}

CompletionQueueThreads::~CompletionQueueThreads() { Shutdown(); }

void CompletionQueueThreads::Start() {
  for (int i = 0; i < thread_count_; ++i) {
    threads_.emplace_back([this] { Poll(); });
  }
}

void CompletionQueueThreads::Poll() {
  void* tag = nullptr;
  bool ok = false;
  while (queue_->Next(&tag, &ok)) {
    static_cast<CompletionQueueEvent*>(tag)->OnEvent(ok);
  }
}

void CompletionQueueThreads::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  queue_->Shutdown();
  if (threads_.empty()) {  // never started: hand out the events here
    Poll();
    return;
  }
  for (std::thread& thread : threads_) thread.join();
}

}  // namespace jobcontrol
