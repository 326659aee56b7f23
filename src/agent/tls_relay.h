// TLS to a server for a client library that speaks only plain TCP (hiredis 0.14 in Debian 12
// has no TLS): the relay connects, completes a TLS handshake that verifies the server's
// certificate chain and name, and then carries bytes between the TLS connection and one end
// of a local socket pair on a thread of its own; the library is given the other end.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/tls_client_settings.h"

namespace pcap_ring {

class TlsRelay {
 public:
  // Connects to host:port within `timeout` and completes the handshake. On success returns
  // the relay and sets *plain_fd to the local end the caller owns (close it to end the relay);
  // on failure returns null with *error naming the server and the reason (certificate
  // verification, name mismatch, refused connection).
  static std::unique_ptr<TlsRelay> open(const std::string& host, std::uint16_t port, const TlsClientSettings& tls,
                                        std::chrono::milliseconds timeout, int* plain_fd, std::string* error);
  ~TlsRelay();  // stops the relay thread and closes the TLS connection
  TlsRelay(const TlsRelay&) = delete;
  TlsRelay& operator=(const TlsRelay&) = delete;

 private:
  struct State;
  explicit TlsRelay(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace pcap_ring
