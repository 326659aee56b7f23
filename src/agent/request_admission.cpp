#include "agent/request_admission.h"

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
                        const AdmissionPolicy& policy, NanoTime now) {
  if (message.body.size() > policy.limits.max_message_bytes)
    return refuse("message of " + std::to_string(message.body.size()) + " bytes is over the limit of " +
                  std::to_string(policy.limits.max_message_bytes));
  const bool is_signed = !message.key_id.empty() || !message.algorithm.empty() || !message.signature.empty();
  if (is_signed) {
    auto algorithm = parse_signature_algorithm(message.algorithm);
    if (!algorithm) return refuse("signature algorithm '" + message.algorithm.substr(0, 32) + "' is not ed25519 or hmac-sha256");
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
  if (seen.seen(a.request.id)) return refuse("id: '" + a.request.id + "' was already accepted (a replay)");
  if (int err = seen.record(a.request.id, now)) return refuse("cannot record the request durably: " + errno_text(err));
  a.accepted = true;
  return a;
}

}  // namespace pcap_ring
