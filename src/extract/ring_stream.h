// The packets of one ring inside a window that match a filter, in the ring's order: file by
// file, each file opened before it is read (retention may unlink it meanwhile), the live
// ".part" read up to its last whole record and, while the window has not passed, followed
// as it grows and is renamed. Counts what it reads into the report and works out the part
// of the window the ring covered.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "extract/extract_report.h"
#include "extract/file_plan.h"
#include "extract/packet_filter.h"
#include "extract/plan_ahead.h"
#include "extract/ring_catalog.h"
#include "extract/time_window.h"
#include "flows/flow_index.h"
#include "flows/flow_query.h"
#include "format/record_reader.h"

namespace pcap_ring {

struct RingStreamOptions {
  TimeWindow window;
  std::string filter;
  bool use_flow_index = true;
  NanoTime follow_until = 0;  // wall clock; 0: read what is there now and stop
  // Called before the stream's reader reuses or frees the bytes of packets it returned
  // (RecordReader::set_before_reuse): the output writes out what it holds by reference.
  std::function<void()> before_buffer_reuse;
};

class RingStream {
 public:
  enum class State { kPacket, kWait, kEnd };

  RingStream(CatalogRing ring, RingStreamOptions options, ExtractReport* report);
  // Closes the open file: before_buffer_reuse runs before its reader goes.
  ~RingStream();
  RingStream(const RingStream&) = delete;
  RingStream& operator=(const RingStream&) = delete;
  // Learns the ring's link type from its newest file and compiles the filter for it. False
  // with *error (naming the filter) when the filter does not compile, or the ring has no
  // readable file.
  [[nodiscard]] bool prepare(std::string* error);
  // Moves to the next packet to extract. kWait: the live file may still grow; call again later.
  State advance(NanoTime now);
  const PacketRecord& packet() const { return packet_; }
  int linktype() const { return linktype_; }
  std::uint32_t snaplen() const { return snaplen_; }
  const RingId& id() const { return ring_.id; }
  // The ring's coverage of the window, once the stream has ended (or was stopped).
  RingCoverage coverage(NanoTime now, NanoTime window_to) const;

 private:
  bool open_next_file(NanoTime now, bool* waiting);
  bool open_file(const CatalogFile& file);
  void close_file();
  // The ring index says the file holds no packet of the window: it need not be opened.
  bool outside_window(const CatalogFile& file) const;
  // After the end of the live file: true to wait for more, false when it is finished.
  bool live_file_may_grow(NanoTime now);
  void note_time(NanoTime ts);

  CatalogRing ring_;
  RingStreamOptions options_;
  ExtractReport* report_;
  PacketFilter filter_;
  int linktype_ = 1;
  std::uint32_t snaplen_ = 262144;
  UniqueFd dir_fd_;

  std::size_t next_file_ = 0;  // in ring_.files
  std::optional<std::uint64_t> last_seq_;
  std::unique_ptr<RecordReader> reader_;
  std::string file_name_;
  bool file_partial_ = false;
  FilePlan plan_;
  std::optional<FlowQuery> flow_query_;  // the filter as the flow index reads it, if it can
  FlowIndex index_scratch_;              // each file's flow index, read into the same memory
  std::unique_ptr<PlanAhead> plan_ahead_;  // after flow_query_ and dir_fd_, which it uses
  std::size_t range_ = 0;
  PacketRecord packet_;
  bool saw_past_window_ = false;  // a packet at or after window.to: the ring has passed it
  bool seen_live_ = false;        // a live ".part" was listed: the ring is being written

  // Coverage: the oldest time the ring still held, the newest it holds, and whether a file
  // of the window disappeared before it could be read.
  std::optional<NanoTime> ring_first_;
  std::optional<NanoTime> ring_last_;
  bool lost_file_ = false;
  std::uint64_t drops_ = 0;
};

}  // namespace pcap_ring
