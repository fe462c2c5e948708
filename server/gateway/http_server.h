// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast/Asio, enforcing
// RequestLimits, handing each complete request to an HttpRequestHandler.
//
// Network I/O and the handlers run on a few I/O threads, each with its own
// event loop; a connection stays on one of them. A handler never
// blocks: what it waits for (a gRPC call) runs asynchronously and answers
// through its Respond callback, so no thread sits waiting and a slow call
// never stalls reads, writes or timeouts of other connections. Requests of
// one connection are answered in order.
#ifndef JOBCONTROL_SERVER_GATEWAY_HTTP_SERVER_H_
#define JOBCONTROL_SERVER_GATEWAY_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/gateway/http_message.h"
#include "server/gateway/request_limits.h"

namespace jobcontrol {
namespace gateway {

// Why the server answered a request without handing it to the handler.
enum class HttpRejection {
  kMalformed,           // not parseable as HTTP/1.x: 400
  kBodyTooLarge,        // over max_body_bytes: 413
  kHeaderTooLarge,      // over max_header_bytes: 431
  kTooManyConnections,  // over max_connections: 503
};

// Implemented by a dialect. Both methods are called concurrently from the I/O
// threads, must be thread-safe and must not block.
class HttpRequestHandler {
 public:
  // Delivers the answer to one request; call it exactly once, from any
  // thread (also from within Handle).
  using Respond = std::function<void(HttpResponse)>;

  virtual ~HttpRequestHandler() = default;
  // Takes a complete request that met every limit and returns without
  // waiting: the answer goes to `respond`, at once or when the work it
  // started completes. `request` is valid only during the call.
  virtual void Handle(const HttpRequest& request, Respond respond) = 0;
  // The body of the server's own error answer, in the dialect's shape;
  // `status` is the HTTP status the server will send. `target` is the
  // request target when the request line was read, else empty.
  virtual HttpResponse Reject(HttpRejection rejection, int status,
                              const std::string& request_id,
                              const std::string& target) = 0;
};

struct HttpServerOptions {
  // host:port; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:8080";
  RequestLimits limits;
  int io_threads = 2;
};

class HttpServer {
 public:
  // Binds, listens and starts serving. `handler` must outlive the server.
  // UNAVAILABLE when the address cannot be bound; INVALID_ARGUMENT when it is
  // not host:port.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, HttpRequestHandler* handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;

  // Stops accepting, waits until every request handed to the handler has
  // been answered (its Respond called), gives those answers a moment to be
  // written, closes every connection. Idempotent; thread-safe.
  void Stop();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_HTTP_SERVER_H_
