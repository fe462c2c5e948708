// Opaque page tokens (AIP-158): a keyset cursor (the sequence of the last
// row returned) bound to the query that produced it, so a token used with a
// different filter is rejected rather than silently misread.
#ifndef JOBCONTROL_SERVER_API_PAGE_TOKEN_H_
#define JOBCONTROL_SERVER_API_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobcontrol {

// A stable 64-bit fingerprint (FNV-1a) of the bytes describing a query.
uint64_t QueryFingerprint(absl::string_view query_bytes);

std::string EncodePageToken(int64_t sequence, uint64_t query_fingerprint);

// The cursor of `token`. INVALID_ARGUMENT, reason INVALID_FIELD, field
// "page_token", if it is malformed or was issued for another query.
absl::StatusOr<int64_t> DecodePageToken(absl::string_view token,
                                        uint64_t query_fingerprint);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_PAGE_TOKEN_H_
