// `packet-capture agent`: reads requests from Redis (a stream per consumer group, and
// pcapdaemon's pub/sub channel), admits them (agent/request_admission.h), answers those that
// name this node by cutting their window out of the named interfaces' rings into the results
// directory, and answers on the bus: accepted or waiting, then done, partial, failed; or
// rejected, or busy when max_concurrent requests run and queue_size more wait.
//
// A stream entry is acknowledged only once the request is recorded durably (the seen ids and
// the request journal); a request cut short by a stop or a crash is answered after the
// restart, into the same files (agent/request_journal.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/request_signature.h"
#include "config/agent_settings.h"
#include "extract/ring_catalog.h"
#include "stages/s3_client.h"
#include "config/stage_settings.h"

namespace pcap_ring {

struct AgentIdentity {
  std::string node;            // this node's name
  std::string redis_password;  // "" = no AUTH
  S3Credentials aws;           // the SQS bus's access key
};

// Where results may go besides the results directory: an S3 bucket when [s3] names one (the
// objects go to PREFIX/requests/YYYY/MM/DD/ID/NODE/IFACE/, manifest.json last).
struct AgentDestinations {
  std::optional<S3Settings> s3;
  S3Credentials s3_credentials;
  // CloudShark when [cloudshark] names a url: the capture is uploaded with the request's tags.
  std::optional<CloudSharkSettings> cloudshark;
  std::string cloudshark_token;
};

// The rings of an interface, from its capture configuration; nothing with *error when the
// interface has none here.
using RingLocator = std::function<std::vector<CatalogRing>(const std::string& interface_name, std::string* error)>;

// Runs until `stop` is set. Returns an exit status; throws StartupError when the state
// directory cannot be used.
int run_agent(const AgentSettings& settings, const AgentIdentity& identity, TrustedKeys keys,
              const AgentDestinations& destinations, const RingLocator& locate_rings, const std::atomic<bool>& stop);

}  // namespace pcap_ring
