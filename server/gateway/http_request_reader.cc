#include "server/gateway/http_request_reader.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/buffer.hpp"
#include "boost/beast/http/error.hpp"

namespace jobcontrol {
namespace gateway {

namespace http = boost::beast::http;

void ApplyRequestLimits(const RequestLimits& limits,
                        BeastRequestParser* parser) {
  parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser->body_limit(limits.max_body_bytes);
}

HttpRequest ToHttpRequest(http::request<http::string_body>&& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(
        absl::AsciiStrToLower(absl::string_view(field.name_string().data(),
                                                field.name_string().size())),
        std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

absl::StatusOr<HttpRequest> ParseHttpRequest(absl::string_view bytes,
                                             const RequestLimits& limits) {
  BeastRequestParser parser;
  ApplyRequestLimits(limits, &parser);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t consumed = 0;
  while (consumed < bytes.size() && !parser.is_done()) {
    const size_t used = parser.put(
        boost::asio::buffer(bytes.data() + consumed, bytes.size() - consumed),
        ec);
    if (ec == http::error::need_more) break;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return absl::ResourceExhaustedError(ec.message());
    }
    if (ec) return absl::InvalidArgumentError(ec.message());
    if (used == 0) break;
    consumed += used;
  }
  if (!parser.is_done()) {
    // A body delimited by the end of the stream ends here.
    parser.put_eof(ec);
    if (ec || !parser.is_done()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "incomplete HTTP request", ec ? ": " : "", ec ? ec.message() : ""));
    }
  }
  return ToHttpRequest(parser.release());
}

}  // namespace gateway
}  // namespace jobcontrol
