// Builds the flow index of one capture file from its bytes, fed in file order in pieces of
// any size (a whole file read in chunks, or the data the ring writes, as it is written).
// Records are grouped into blocks of at most `max_block_records` records spanning at most
// `max_block_span` of capture time; the index lists, for each key a record has, the blocks
// holding such a record. docs/flow-index.md describes the format and why it is so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/timestamp.h"
#include "flows/capture_record_stream.h"
#include "flows/flow_index.h"
#include "flows/flow_key.h"
#include "flows/key_postings.h"

namespace pcap_ring {

struct FlowIndexOptions {
  std::uint32_t max_block_records = 16;
  NanoTime max_block_span = 100'000'000;  // 100 ms: the time index's resolution
};

class FlowIndexBuilder {
 public:
  FlowIndexBuilder();
  explicit FlowIndexBuilder(FlowIndexOptions options);
  // Not copyable or movable: the record walker calls back into this object.
  FlowIndexBuilder(const FlowIndexBuilder&) = delete;
  FlowIndexBuilder& operator=(const FlowIndexBuilder&) = delete;

  // Bytes of one capture file (pcap or pcapng, either byte order, micro or nano pcap), fed in
  // order from offset 0 (file header included); records may span calls.
  void feed(const std::uint8_t* data, std::size_t size);
  // The serialized index of every complete record fed so far. Closes the current block: more
  // bytes may still be fed, and a later finish() includes them.
  std::vector<std::uint8_t> finish();

  // The bytes are not a capture file (bad magic): nothing more is indexed.
  bool failed() const { return stream_.failed(); }
  const std::string& error() const { return stream_.error(); }
  // True once a whole file header has been fed.
  bool header_complete() const { return stream_.header_complete(); }
  std::uint64_t records() const { return records_; }
  // Bytes fed so far, whole records or not.
  std::uint64_t bytes_fed() const { return bytes_fed_; }

 private:
  class RecordSink final : public CaptureRecordSink {
   public:
    explicit RecordSink(FlowIndexBuilder* builder) : builder_(builder) {}
    void on_record(const CaptureRecord& record) override;  // defined where add_record inlines into it
    void on_other_block() override { builder_->close_block(); }

   private:
    FlowIndexBuilder* builder_;
  };

  // What the keys of a plain Ethernet/IPv4 frame (no VLAN tag, 20-byte IP header, ports
  // captured) come from: equal for two such frames means equal keys.
  struct Ipv4KeyBytes {
    std::uint64_t addresses = 0;
    std::uint64_t ports_protocol_fragment = 0;
    bool operator==(const Ipv4KeyBytes&) const = default;
  };
  static bool ipv4_key_bytes(const CaptureRecord& record, Ipv4KeyBytes* bytes);

  void add_record(const CaptureRecord& record);
  void add_keys(const CaptureRecord& record);
  void parse_keys(const CaptureRecord& record, bool plain_ipv4, const Ipv4KeyBytes& key_bytes);
  bool block_would_overflow(const CaptureRecord& record) const;
  void close_block();
  std::vector<std::uint8_t> serialize() const;

  FlowIndexOptions options_;
  CaptureRecordStream stream_;
  RecordSink sink_{this};
  std::uint64_t records_ = 0;
  std::uint64_t bytes_fed_ = 0;
  std::vector<FlowBlock> blocks_;
  FlowBlock open_block_;
  KeyPostings postings_;  // keys of the open block are added to it as records are read
  // The previous record, when it was a plain Ethernet/IPv4 frame: consecutive packets of one
  // flow (the common case at high rates) then cost a compare, not a parse.
  bool previous_is_plain_ipv4_ = false;
  Ipv4KeyBytes previous_key_bytes_;
};

// Builds the index of an open capture file by reading it (pread, from offset 0 to its size).
// False with *error when it cannot be read or is not a capture file.
[[nodiscard]] bool build_flow_index_fd(int fd, std::vector<std::uint8_t>* index, std::string* error);

}  // namespace pcap_ring
