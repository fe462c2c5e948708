#include "server/gateway/http_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "server/gateway/http_request_reader.h"

namespace jobcontrol {
namespace gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

// After an error answer the server closes its side, then reads and discards
// what the client still sends for at most this long, so the client sees the
// answer instead of a reset caused by unread data.
constexpr absl::Duration kLingerTimeout = absl::Seconds(2);

// On Stop(), how long answers of handled requests may take to be written.
constexpr absl::Duration kStopWriteTimeout = absl::Seconds(5);

// State shared by the acceptor and every session.
struct ServerState {
  RequestLimits limits;
  HttpRequestHandler* handler = nullptr;
  std::atomic<int> connections{0};
  // Respond callbacks of requests handed to the handler that still exist
  // (Session::PendingAnswer).
  std::atomic<int> responses_pending{0};
  // Requests handed to the handler whose answer is not yet written.
  std::atomic<int> answers_pending{0};
  std::atomic<bool> stopping{false};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState* state)
      : stream_(std::move(socket)), state_(state) {
    state_->connections.fetch_add(1);
  }
  ~Session() { state_->connections.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    asio::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Answers 503 (too many connections) and closes.
  void StartRejected() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->RejectAndClose(HttpRejection::kTooManyConnections, 503);
    });
  }

 private:
  void ReadHeader() {
    if (state_->stopping.load()) return CloseNow();
    parser_.emplace();
    ApplyRequestLimits(state_->limits, &*parser_);
    // One deadline for the whole request, head and body: a client trickling
    // bytes (slow-loris) cannot extend it.
    stream_.expires_after(ToChrono(state_->limits.request_read_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    const auto& head = parser_->get();
    auto expect = head.find(http::field::expect);
    if (expect != head.end() &&
        absl::EqualsIgnoreCase(
            absl::string_view(expect->value().data(), expect->value().size()),
            "100-continue")) {
      auto interim = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, head.version());
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](
                            beast::error_code write_ec, std::size_t) {
                          if (write_ec) return self->CloseNow();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnRequest, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return RejectAndClose(HttpRejection::kBodyTooLarge, 413);
    }
    if (ec == http::error::header_limit) {
      return RejectAndClose(HttpRejection::kHeaderTooLarge, 431);
    }
    if (ec.category() ==
            http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return RejectAndClose(HttpRejection::kMalformed, 400);
    }
    // Timeout, end of stream, reset: nothing to answer.
    CloseNow();
  }

  void OnRequest(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    if (state_->stopping.load()) return CloseNow();
    stream_.expires_never();
    http::request<http::string_body> message = parser_->release();
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();
    HttpRequest request = ToHttpRequest(std::move(message));
    request.request_id = NewRequestId();
    state_->answers_pending.fetch_add(1);
    auto answer = std::make_shared<PendingAnswer>(
        shared_from_this(), request.request_id, keep_alive, version);
    state_->handler->Handle(
        request, [answer = std::move(answer)](HttpResponse response) {
          answer->Deliver(std::move(response));
        });
  }

  // The answer a handler owes for one request, shared by the copies of its
  // Respond callback. While one exists it counts in responses_pending, so
  // Stop() does not return while a handler's callback could still reach this
  // session.
  class PendingAnswer {
   public:
    PendingAnswer(std::shared_ptr<Session> session, std::string request_id,
                  bool keep_alive, unsigned version)
        : session_(std::move(session)),
          state_(session_->state_),
          request_id_(std::move(request_id)),
          keep_alive_(keep_alive),
          version_(version) {
      state_->responses_pending.fetch_add(1);
    }
    ~PendingAnswer() {
      session_.reset();  // may end the session, which still uses state_
      state_->responses_pending.fetch_sub(1);
    }
    PendingAnswer(const PendingAnswer&) = delete;
    PendingAnswer& operator=(const PendingAnswer&) = delete;

    void Deliver(HttpResponse response) {
      std::shared_ptr<Session> session = std::move(session_);
      if (session == nullptr) return;  // answered already
      auto executor = session->stream_.get_executor();
      asio::post(executor,
                 [session = std::move(session), response = std::move(response),
                  id = request_id_, keep_alive = keep_alive_,
                  version = version_]() mutable {
                   session->Write(std::move(response), id, keep_alive, version,
                                  /*linger_after=*/false, /*counted=*/true);
                 });
    }

   private:
    std::shared_ptr<Session> session_;
    ServerState* const state_;
    const std::string request_id_;
    const bool keep_alive_;
    const unsigned version_;
  };

  void RejectAndClose(HttpRejection rejection, int status) {
    const std::string id = NewRequestId();
    // The request line is parsed before the fields, so the target is known
    // even when a field (Content-Length over the limit) ended the parse.
    std::string target;
    if (parser_) target = std::string(parser_->get().target());
    HttpResponse response =
        state_->handler->Reject(rejection, status, id, target);
    response.status = status;
    Write(std::move(response), id, /*keep_alive=*/false, 11,
          /*linger_after=*/true, /*counted=*/false);
  }

  // `counted`: the answer of a handled request (answers_pending).
  void Write(HttpResponse response, const std::string& request_id,
             bool keep_alive, unsigned version, bool linger_after,
             bool counted) {
    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    if (!response.content_type.empty()) {
      message->set(http::field::content_type, response.content_type);
    }
    for (auto& [name, value] : response.headers) message->insert(name, value);
    // A dialect may give the request id its vendor's shape.
    if (message->find(kRequestIdHeader) == message->end()) {
      message->set(kRequestIdHeader, request_id);
    }
    message->keep_alive(keep_alive && !state_->stopping.load());
    message->body() = std::move(response.body);
    message->prepare_payload();
    stream_.expires_after(ToChrono(state_->limits.response_write_timeout));
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, linger_after,
                       counted](beast::error_code ec, std::size_t) {
                        if (counted) self->state_->answers_pending.fetch_sub(1);
                        if (ec) return self->CloseNow();
                        if (linger_after) return self->Linger();
                        if (!message->keep_alive())
                          return self->CloseGracefully();
                        self->ReadHeader();
                      });
  }

  void CloseGracefully() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void Linger() {
    CloseGracefully();
    stream_.expires_after(ToChrono(kLingerTimeout));
    DiscardInput();
  }

  void DiscardInput() {
    stream_.async_read_some(
        asio::buffer(discard_),
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->CloseNow();
          self->DiscardInput();
        });
  }

  void CloseNow() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerState* state_;
  beast::flat_buffer buffer_;
  std::optional<BeastRequestParser> parser_;
  char discard_[4096];
};

}  // namespace

class HttpServer::Impl {
 public:
  ServerState state;
  // One io_context per I/O thread, connections spread over them in turn: a
  // connection's handlers all run on its one thread, so no event hands work
  // from one I/O thread to another. The acceptor lives on the first.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  // Keep the I/O threads running while no socket operation is pending, e.g.
  // after Stop() closed the acceptor and answers are still being computed.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>>
      keep_running;
  std::optional<tcp::acceptor> acceptor;
  size_t next_io = 0;  // only on the acceptor's thread
  std::vector<std::thread> io_threads;
  int port = 0;
  absl::Mutex stop_mutex;
  bool stopped ABSL_GUARDED_BY(stop_mutex) = false;

  void Accept() {
    asio::io_context& connection_io = *ios[next_io++ % ios.size()];
    acceptor->async_accept(
        connection_io, [this](beast::error_code ec, tcp::socket s) {
          if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) {
              return;
            }
          } else {
            const bool over_limit =
                state.connections.load() >= state.limits.max_connections;
            auto session = std::make_shared<Session>(std::move(s), &state);
            if (over_limit) {
              session->StartRejected();
            } else {
              session->Start();
            }
          }
          Accept();
        });
  }
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpRequestHandler* handler) {
  const size_t colon = options.listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HTTP listen address \"", options.listen, "\" is not host:port"));
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }

  auto impl = std::make_unique<Impl>();
  impl->state.limits = options.limits;
  impl->state.handler = handler;

  beast::error_code ec;
  const int io_threads = std::max(1, options.io_threads);
  for (int i = 0; i < io_threads; ++i) {
    impl->ios.push_back(
        std::make_unique<asio::io_context>(/*concurrency_hint=*/1));
  }
  asio::io_context& acceptor_io = *impl->ios.front();
  tcp::resolver resolver(acceptor_io);
  auto endpoints =
      resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HTTP listen address \"", options.listen, "\": cannot resolve host"));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl->acceptor.emplace(acceptor_io);
  impl->acceptor->open(endpoint.protocol(), ec);
  // SO_REUSEADDR only (not SO_REUSEPORT): a busy port is an error.
  if (!ec)
    impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec)
    impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen, " (HTTP): ", ec.message()));
  }
  impl->port = impl->acceptor->local_endpoint().port();
  impl->Accept();
  for (auto& io : impl->ios) {
    impl->keep_running.push_back(asio::make_work_guard(*io));
    impl->io_threads.emplace_back([io = io.get()] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  absl::MutexLock lock(&impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->state.stopping.store(true);
  asio::post(*impl_->ios.front(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  // Every request handed to the handler is answered (a service call ends by
  // its deadline), and the answers get a moment to be written; idle
  // keep-alive connections are then simply closed.
  while (impl_->state.responses_pending.load() > 0) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Time deadline = absl::Now() + kStopWriteTimeout;
  while (impl_->state.answers_pending.load() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  impl_->keep_running.clear();
  for (auto& io : impl_->ios) io->stop();
  for (std::thread& t : impl_->io_threads) t.join();
  impl_->io_threads.clear();
}

}  // namespace gateway
}  // namespace jobcontrol
