// HttpRequest / HttpResponse: the HTTP messages the gateway's dialects see and
// produce, independent of the HTTP library that carries them.
#ifndef JOBCONTROL_SERVER_GATEWAY_HTTP_MESSAGE_H_
#define JOBCONTROL_SERVER_GATEWAY_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace gateway {

// Header name of the request id every response carries.
inline constexpr char kRequestIdHeader[] = "X-Request-Id";

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // request target as sent, e.g. "/?Action=X&Version=Y"
  // Header fields in arrival order; names lower-cased, values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Assigned by the server on arrival; echoed in kRequestIdHeader.
  std::string request_id;

  // The value of the first header field named `lower_case_name`, or nullptr.
  const std::string* FindHeader(absl::string_view lower_case_name) const;
  // How many header fields are named `lower_case_name`.
  int CountHeader(absl::string_view lower_case_name) const;
  // The path part of `target` (before '?').
  absl::string_view Path() const;
  // The query part of `target` (after the first '?'; empty if none).
  absl::string_view Query() const;
};

struct HttpResponse {
  int status = 200;
  // Empty: no Content-Type field (a 204 answer).
  std::string content_type = "application/json;charset=utf-8";
  // Extra header fields; the server adds Content-Length, Connection and,
  // unless the handler set it here, kRequestIdHeader itself.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A new request id, e.g. "8906582E-6722-409A-A6C4-0E7863B733A5": 128 random
// bits shaped like the vendors' (upper-case UUID). Thread-safe.
std::string NewRequestId();

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_HTTP_MESSAGE_H_
