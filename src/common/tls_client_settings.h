// How a client verifies a TLS server and, where the server asks, proves who it is.
#pragma once

#include <string>

namespace pcap_ring {

struct TlsClientSettings {
  bool enabled = false;
  std::string ca_file;      // trusted CAs (PEM); "" = the system's trust store
  std::string cert_file;    // client certificate (PEM), for servers that require one
  std::string key_file;     // its private key (PEM)
  std::string server_name;  // the name the certificate must carry; "" = the host connected to
};

}  // namespace pcap_ring
