#include "bench/loadgen/request_source.h"

#include <utility>

namespace jobcontrol {
namespace bench {

CyclingRequestSource::CyclingRequestSource(
    std::string method, std::vector<grpc::ByteBuffer> requests)
    : method_(std::move(method)), requests_(std::move(requests)) {}

bool CyclingRequestSource::Next(grpc::ByteBuffer* request) {
  if (requests_.empty()) return false;
  const uint64_t index = next_.fetch_add(1, std::memory_order_relaxed);
  *request = requests_[index % requests_.size()];  // shares the slices
  return true;
}

SingleUseRequestSource::SingleUseRequestSource(
    std::string method, std::vector<grpc::ByteBuffer> requests)
    : method_(std::move(method)), requests_(std::move(requests)) {}

bool SingleUseRequestSource::Next(grpc::ByteBuffer* request) {
  const uint64_t index = next_.fetch_add(1, std::memory_order_relaxed);
  if (index >= requests_.size()) return false;
  *request = requests_[index];
  return true;
}

}  // namespace bench
}  // namespace jobcontrol
