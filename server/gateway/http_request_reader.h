// How the HTTP server reads a request: a Boost.Beast parser with the
// RequestLimits applied, and the parsed message as an HttpRequest. The server
// reads asynchronously with these; ParseHttpRequest does the same over bytes
// already in memory (fuzz target, tests).
#ifndef JOBCONTROL_SERVER_GATEWAY_HTTP_REQUEST_READER_H_
#define JOBCONTROL_SERVER_GATEWAY_HTTP_REQUEST_READER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "server/gateway/http_message.h"
#include "server/gateway/request_limits.h"

namespace jobcontrol {
namespace gateway {

using BeastRequestParser =
    boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets the header and body limits of `parser` (before it reads anything).
void ApplyRequestLimits(const RequestLimits& limits,
                        BeastRequestParser* parser);

// The parsed request as the dialects see it: header names lower-cased, in
// arrival order. `request_id` is left empty.
HttpRequest ToHttpRequest(
    boost::beast::http::request<boost::beast::http::string_body>&& message);

// Parses exactly one request from `bytes` under `limits`. INVALID_ARGUMENT
// when it is malformed or incomplete, RESOURCE_EXHAUSTED when it is over a
// limit (the message says which).
absl::StatusOr<HttpRequest> ParseHttpRequest(absl::string_view bytes,
                                             const RequestLimits& limits);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_HTTP_REQUEST_READER_H_
