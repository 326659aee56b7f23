// Owning handles for the libcrypto objects the agent uses, so that every path frees them.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

namespace pcap_ring {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

using PkeyHandle = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioHandle = std::unique_ptr<BIO, BioFree>;
using MdCtxHandle = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

}  // namespace pcap_ring
