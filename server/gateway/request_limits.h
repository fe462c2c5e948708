// RequestLimits: what one HTTP client may cost the gateway. Exceeding a limit
// gets a 4xx answer and a closed connection (body, header) or just a closed
// connection (timeouts), never more memory or a thread held.
#ifndef JOBCONTROL_SERVER_GATEWAY_REQUEST_LIMITS_H_
#define JOBCONTROL_SERVER_GATEWAY_REQUEST_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace jobcontrol {
namespace gateway {

struct RequestLimits {
  // Largest request body accepted; a larger one (by Content-Length or as it
  // arrives, chunked) is answered 413 and the connection closed.
  size_t max_body_bytes = 1 << 20;
  // Largest request line plus header fields; more is answered 431 and the
  // connection closed. Bounds header floods.
  size_t max_header_bytes = 16 << 10;
  // Time a connection gets to deliver one whole request (head and body),
  // counted from when the server starts waiting for it, so also the
  // keep-alive idle time. A client that is slower (slow-loris) is
  // disconnected without an answer.
  absl::Duration request_read_timeout = absl::Seconds(15);
  // Time a client gets to take one whole response.
  absl::Duration response_write_timeout = absl::Seconds(15);
  // Connections served at once. One more is answered 503 and closed.
  int max_connections = 512;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_REQUEST_LIMITS_H_
