// HttpServer against raw TCP clients: keep-alive, request ids, and every
// limit (body, header, read timeout, connections).
#include "server/gateway/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace gateway {
namespace {

// Echoes method, target and body; rejections carry the rejection's number.
// "/slow" is answered 200 ms later from another thread; "/held" is answered
// when the test calls ReleaseHeld().
class EchoHandler : public HttpRequestHandler {
 public:
  ~EchoHandler() override {
    for (std::thread& thread : answerers_) thread.join();
  }

  void Handle(const HttpRequest& request, Respond respond) override {
    ++handled;
    HttpResponse response;
    response.content_type = "text/plain";
    response.body =
        absl::StrCat(request.method, " ", request.target, " ", request.body);
    absl::MutexLock lock(&mutex_);
    if (request.target == "/slow") {
      started = true;
      answerers_.emplace_back([respond = std::move(respond),
                               response = std::move(response)]() mutable {
        absl::SleepFor(absl::Milliseconds(200));
        respond(std::move(response));
      });
      return;
    }
    if (request.target == "/held") {
      held_.emplace_back(std::move(respond), std::move(response));
      return;
    }
    respond(std::move(response));
  }
  HttpResponse Reject(HttpRejection rejection, int status,
                      const std::string& request_id,
                      const std::string& target) override {
    (void)target;
    HttpResponse response;
    response.status = status;
    response.body =
        absl::StrCat("rejected ", static_cast<int>(rejection), " ", request_id);
    return response;
  }
  void ReleaseHeld() {
    absl::MutexLock lock(&mutex_);
    for (auto& [respond, response] : held_) respond(std::move(response));
    held_.clear();
  }
  std::atomic<int> handled{0};
  std::atomic<bool> started{false};

 private:
  absl::Mutex mutex_;
  std::vector<std::thread> answerers_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::pair<Respond, HttpResponse>> held_ ABSL_GUARDED_BY(mutex_);
};

// A blocking TCP client with a 30 s receive timeout.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address),
                         sizeof(address)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n =
          send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one response (head and Content-Length body). Empty when the
  // server closed the connection (or reset it) first.
  std::string ReadResponse() {
    while (true) {
      const size_t end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const std::string head = pending_.substr(0, end);
        const size_t at = head.find("Content-Length: ");
        if (at != std::string::npos) {
          absl::SimpleAtoi(
              head.substr(at + 16, head.find("\r\n", at) - at - 16), &length);
        }
        if (pending_.size() >= end + 4 + length) {
          std::string response = pending_.substr(0, end + 4 + length);
          pending_.erase(0, end + 4 + length);
          return response;
        }
      }
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return "";
      pending_.append(chunk, static_cast<size_t>(n));
    }
  }

  // True once the server has closed the connection (reads end or reset).
  bool ServerClosed() {
    char chunk[4096];
    while (true) {
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string Get(const std::string& target) {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: t\r\n\r\n");
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(const RequestLimits& limits = RequestLimits()) {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.limits = limits;
    auto server = HttpServer::Start(options, &handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  int port() const { return server_->port(); }

  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsWithDistinctRequestIds) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Get("/?a=1")));
  const std::string first = client.ReadResponse();
  ASSERT_TRUE(
      client.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5"
                  "\r\n\r\nhello"));
  const std::string second = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(first, "HTTP/1.1 200 OK\r\n")) << first;
  EXPECT_TRUE(absl::EndsWith(first, "GET /?a=1 ")) << first;
  EXPECT_TRUE(absl::EndsWith(second, "POST /x hello")) << second;
  const size_t id1 = first.find("X-Request-Id: ");
  const size_t id2 = second.find("X-Request-Id: ");
  ASSERT_NE(id1, std::string::npos);
  ASSERT_NE(id2, std::string::npos);
  EXPECT_NE(first.substr(id1, 50), second.substr(id2, 50));
  EXPECT_EQ(handler_.handled.load(), 2);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StrContains(response, "Connection: close")) << response;
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, BodyOverLimitByContentLengthIs413AndNotHandled) {
  RequestLimits limits;
  limits.max_body_bytes = 1 << 20;
  StartServer(limits);
  RawClient client(port());
  ASSERT_TRUE(client.Send(absl::StrCat(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ", (1 << 20) + 1,
      "\r\n\r\n")));
  client.Send(std::string(64 << 10, 'x'));
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 413 ")) << response;
  EXPECT_TRUE(absl::StrContains(response, "rejected 1 ")) << response;
  EXPECT_TRUE(absl::StrContains(response, "X-Request-Id: ")) << response;
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_EQ(handler_.handled.load(), 0);
}

TEST_F(HttpServerTest, BodyOfExactlyTheLimitIsServed) {
  RequestLimits limits;
  limits.max_body_bytes = 1000;
  StartServer(limits);
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      absl::StrCat("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
                   std::string(1000, 'y'))));
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 ")) << response;
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  RequestLimits limits;
  limits.max_body_bytes = 1000;
  StartServer(limits);
  RawClient client(port());
  std::string request =
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    request += absl::StrCat("1f4\r\n", std::string(500, 'z'), "\r\n");
  }
  request += "0\r\n\r\n";
  client.Send(request);
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 413 ")) << response;
  EXPECT_EQ(handler_.handled.load(), 0);
}

TEST_F(HttpServerTest, HeaderFloodIs431AndClosed) {
  StartServer();
  RawClient client(port());
  std::string request = "GET / HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 2000; ++i)
    request += absl::StrCat("X-Flood-", i, ": v\r\n");
  request += "\r\n";
  client.Send(request);
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 431 ")) << response;
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_EQ(handler_.handled.load(), 0);
}

TEST_F(HttpServerTest, MalformedRequestIs400AndClosed) {
  StartServer();
  RawClient client(port());
  client.Send("GET / HTTP/1.1\r\nHost t\r\n\r\n");
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 400 ")) << response;
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_EQ(handler_.handled.load(), 0);
}

TEST_F(HttpServerTest, SlowLorisClientIsDisconnectedWithoutAnswer) {
  RequestLimits limits;
  limits.request_read_timeout = absl::Milliseconds(300);
  StartServer(limits);
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: t\r\n"));
  // The header never ends; the server cuts the connection off.
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_EQ(handler_.handled.load(), 0);
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitGet503) {
  RequestLimits limits;
  limits.max_connections = 2;
  StartServer(limits);
  RawClient first(port());
  RawClient second(port());
  // Both are accepted and served: the server has counted them.
  ASSERT_TRUE(first.Send(Get("/1")));
  ASSERT_TRUE(second.Send(Get("/2")));
  EXPECT_TRUE(absl::StartsWith(first.ReadResponse(), "HTTP/1.1 200 "));
  EXPECT_TRUE(absl::StartsWith(second.ReadResponse(), "HTTP/1.1 200 "));
  RawClient third(port());
  third.Send(Get("/3"));
  const std::string response = third.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 503 ")) << response;
  EXPECT_TRUE(absl::StrContains(response, "rejected 3 ")) << response;
  EXPECT_EQ(handler_.handled.load(), 2);
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimAnswer) {
  StartServer();
  RawClient client(port());
  client.Send(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: "
      "100-continue\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 100 "));
  client.Send("ok");
  EXPECT_TRUE(absl::EndsWith(client.ReadResponse(), "POST / ok"));
}

TEST_F(HttpServerTest, StopLetsTheAnswerOfARequestInFlightBeWritten) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(Get("/slow")));
  while (!handler_.started.load()) absl::SleepFor(absl::Milliseconds(1));
  server_->Stop();
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 ")) << response;
  EXPECT_TRUE(absl::StrContains(response, "Connection: close")) << response;
}

TEST_F(HttpServerTest, UnansweredRequestsHoldUpNeitherThreadsNorOtherClients) {
  StartServer();
  // More requests waiting for their answers than the server has I/O threads.
  constexpr int kHeld = 3;
  std::vector<std::unique_ptr<RawClient>> waiting;
  for (int i = 0; i < kHeld; ++i) {
    waiting.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(waiting.back()->Send(Get("/held")));
  }
  while (handler_.handled.load() < kHeld) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  RawClient other(port());
  ASSERT_TRUE(other.Send(Get("/fast")));
  EXPECT_TRUE(absl::EndsWith(other.ReadResponse(), "GET /fast "));
  handler_.ReleaseHeld();
  for (auto& client : waiting) {
    EXPECT_TRUE(absl::EndsWith(client->ReadResponse(), "GET /held "));
  }
}

TEST_F(HttpServerTest, BusyPortIsAnError) {
  StartServer();
  HttpServerOptions options;
  options.listen = absl::StrCat("127.0.0.1:", port());
  auto second = HttpServer::Start(options, &handler_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpServerOptionsTest, ListenAddressMustBeHostPort) {
  EchoHandler handler;
  HttpServerOptions options;
  options.listen = "localhost";
  EXPECT_EQ(HttpServer::Start(options, &handler).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
