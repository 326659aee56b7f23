// Whether a message from a bus becomes a request this agent acts on. In this order, so that
// unauthenticated bytes reach as little code as possible: the size, the signature over the
// exact body (unless unsigned requests are allowed and the message has none), the request's
// fields, its send time against the clock skew, and its id against the ids already accepted,
// which is recorded durably before the request is accepted.
#pragma once

#include <string>

#include "agent/agent_request.h"
#include "agent/request_signature.h"
#include "agent/seen_requests.h"
#include "common/timestamp.h"

namespace pcap_ring {

// A message as a bus delivers it: the body, and the signature from the bus's headers or
// attributes (all empty for an unsigned pcapdaemon message).
struct BusMessage {
  std::string body;
  std::string key_id;
  std::string algorithm;  // "ed25519" or "hmac-sha256"
  std::string signature;  // base64
};

struct AdmissionPolicy {
  AgentRequestLimits limits;
  bool allow_unsigned = false;
  NanoTime max_skew = 120 * kNanosPerSecond;
};

struct Admission {
  bool accepted = false;
  std::string reason;  // why it was refused
  AgentRequest request;
  bool signed_request = false;
};

// `redelivered`: the bus delivers again a message this agent read before but did not
// acknowledge (it stopped first). Its id may then be recorded already; that is no replay.
Admission admit_request(const BusMessage& message, const TrustedKeys& keys, SeenRequests& seen,
                        const AdmissionPolicy& policy, NanoTime now, bool redelivered = false);

}  // namespace pcap_ring
