#include "agent/request_admission.h"

#include <algorithm>
#include <cstdlib>

#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

Admission refuse(std::string reason) {
  Admission a;
  a.reason = std::move(reason);
  return a;
}

std::string seconds_text(NanoTime ns) { return std::to_string(ns / kNanosPerSecond) + " s"; }

}  // namespace

Admission admit_request(const BusMessage& message, const TrustedKeys& keys, SeenRequests& seen,
                        const AdmissionPolicy& policy, NanoTime now, bool redelivered) {
  if (message.body.size() > policy.limits.max_message_bytes)
    return refuse("message of " + std::to_string(message.body.size()) + " bytes is over the limit of " +
                  std::to_string(policy.limits.max_message_bytes));
  const bool is_signed = !message.key_id.empty() || !message.algorithm.empty() || !message.signature.empty();
  if (is_signed) {
    auto algorithm = parse_signature_algorithm(message.algorithm);
    if (!algorithm) return refuse("signature algorithm: not ed25519 or hmac-sha256");
    if (!valid_key_id(message.key_id))
      return refuse("key id: not " + std::string(kKeyIdRule));
    std::string why;
    if (!keys.verify(*algorithm, message.key_id, message.body, message.signature, &why)) return refuse(why);
  } else if (!policy.allow_unsigned) {
    return refuse("unsigned request (allow_unsigned is off)");
  }

  Admission a;
  std::string error;
  if (!parse_agent_request(message.body, policy.limits, &a.request, &error)) return refuse(error);
  a.signed_request = is_signed;
  // A signed request must say when it was made, so that a captured one cannot be replayed
  // once the ids it was checked against are forgotten.
  if (is_signed && !a.request.sent_at) return refuse("ts: a signed request needs its send time");
  if (a.request.sent_at && std::llabs(static_cast<long long>(*a.request.sent_at - now)) > policy.max_skew)
    return refuse("ts: " + seconds_text(*a.request.sent_at - now) + " from this node's clock, over the allowed skew of " +
                  seconds_text(policy.max_skew));
  // A window reaching into the future is followed live: its live part is bounded like a
  // request's duration.
  const NanoTime max_live = policy.limits.max_duration_seconds * kNanosPerSecond;
  if (a.request.to && *a.request.to > now && *a.request.to - std::max(now, *a.request.from) > max_live)
    return refuse("to: the window runs " + seconds_text(*a.request.to - std::max(now, *a.request.from)) +
                  " past now, over max_duration of " + seconds_text(max_live));
  const bool seen_before = seen.seen(a.request.id);
  if (seen_before && !redelivered) return refuse("id: '" + a.request.id + "' was already accepted (a replay)");
  // Remembered as long as the same bytes could pass the checks above again.
  const NanoTime until = std::max(now, a.request.sent_at.value_or(now)) + policy.max_skew;
  if (int err = seen_before ? 0 : seen.record(a.request.id, until, now))
    return refuse("cannot record the request durably: " + errno_text(err));
  a.accepted = true;
  return a;
}

}  // namespace pcap_ring
