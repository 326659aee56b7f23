#include "capture/recorder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "format/capture_scanner.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

// Drains the queue into per-file byte streams, as the writer would.
struct Files {
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<std::uint64_t> drops;
  bool ended = false;
  int batches = 0;

  void drain(BatchQueue& q) {
    while (q.pending() > 0) {
      auto b = q.next();
      ++batches;
      if (!b->file_header.empty()) bytes.push_back(b->file_header);
      EXPECT_EQ(b->begin, bytes.back().size() % kDirectIoAlign) << "payload not aligned to the file's length";
      bytes.back().insert(bytes.back().end(), b->payload(), b->payload() + b->payload_size());
      if (b->closes_file) drops.push_back(b->file_drops);
      if (b->end_of_stream) ended = true;
      q.release(std::move(b));
    }
  }
};

class RecorderTest : public ::testing::Test {
 protected:
  RecorderOptions options(FileFormat f = FileFormat::kPcap) {
    RecorderOptions o;
    o.stream.format = f;
    o.stream.snaplen = 2000;
    o.file_size_bytes = 10'000;
    return o;
  }
  void packets(Recorder& r, int n, std::uint32_t len) {
    for (int i = 0; i < n; ++i) {
      r.on_packet(clock.now(), len, len, payload.data());
      clock.advance(1000);
      files.drain(queue);
    }
  }
  BatchQueue queue{4, 64 * 1024};
  testing::ManualClock clock;
  CaptureCounters counters;
  Files files;
  std::vector<std::uint8_t> payload = std::vector<std::uint8_t>(2000, 0x5a);
};

TEST_F(RecorderTest, FirstFileIsHandedOverAtOnce) {
  Recorder r(options(), queue, clock, [&] { return counters; });
  files.drain(queue);
  ASSERT_EQ(files.bytes.size(), 1u);
  EXPECT_EQ(files.bytes[0].size(), 24u);  // the pcap header: the writer can open the file now
}

class RecorderSizeTest : public RecorderTest, public ::testing::WithParamInterface<FileFormat> {};

TEST_P(RecorderSizeTest, FilesNeverExceedTheSizeAndKeepEveryPacket) {
  Recorder r(options(GetParam()), queue, clock, [&] { return counters; });
  packets(r, 100, 333);
  r.finish();
  files.drain(queue);
  EXPECT_TRUE(files.ended);
  ASSERT_GT(files.bytes.size(), 3u);
  std::uint64_t total = 0;
  for (const auto& f : files.bytes) {
    EXPECT_LE(f.size(), 10'000u);
    FileScan scan;
    std::string error;
    ASSERT_TRUE(scan_capture_bytes(f.data(), f.size(), &scan, &error)) << error;
    EXPECT_TRUE(scan.complete());
    total += scan.packets;
  }
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(r.packets(), 100u);
}

INSTANTIATE_TEST_SUITE_P(Formats, RecorderSizeTest, ::testing::Values(FileFormat::kPcap, FileFormat::kPcapng));

TEST_F(RecorderTest, OneOversizedRecordStillGetsItsOwnFile) {
  auto o = options();
  o.file_size_bytes = 1000;
  Recorder r(o, queue, clock, [&] { return counters; });
  packets(r, 3, 1500);
  r.finish();
  files.drain(queue);
  ASSERT_EQ(files.bytes.size(), 3u);
  for (const auto& f : files.bytes) EXPECT_EQ(f.size(), 24u + 16u + 1500u);  // one record over
}

TEST_F(RecorderTest, TimerRotatesNonEmptyFilesOnly) {
  auto o = options();
  o.rotate_interval = 10 * kNanosPerSecond;
  Recorder r(o, queue, clock, [&] { return counters; });
  clock.advance(11 * kNanosPerSecond);
  r.tick();  // empty file: not rotated
  files.drain(queue);
  EXPECT_EQ(files.bytes.size(), 1u);
  packets(r, 1, 100);
  clock.advance(9 * kNanosPerSecond);
  r.tick();  // period restarted at the empty tick: 9 s < 10 s
  files.drain(queue);
  EXPECT_EQ(files.bytes.size(), 1u);
  EXPECT_TRUE(files.drops.empty());
  clock.advance(2 * kNanosPerSecond);
  r.tick();
  files.drain(queue);
  EXPECT_EQ(files.bytes.size(), 2u);
  EXPECT_EQ(files.drops.size(), 1u);
}

TEST_F(RecorderTest, BufferedRecordsAreHandedOverWithinTheFlushInterval) {
  Recorder r(options(), queue, clock, [&] { return counters; });
  files.drain(queue);
  int before = files.batches;
  packets(r, 2, 100);
  r.tick();
  files.drain(queue);
  EXPECT_EQ(files.batches, before);  // still young: kept for a bigger write
  clock.advance(kNanosPerSecond / 2);
  r.tick();
  files.drain(queue);
  EXPECT_EQ(files.batches, before + 1);
  EXPECT_EQ(files.bytes[0].size(), 24u + 2 * 116u);
}

TEST_F(RecorderTest, KernelDropsAreCountedPerFile) {
  Recorder r(options(), queue, clock, [&] { return counters; });
  packets(r, 1, 100);
  counters.dropped = 7;
  r.rotate();
  packets(r, 1, 100);
  counters.dropped = 10;
  r.finish();
  files.drain(queue);
  EXPECT_EQ(files.drops, (std::vector<std::uint64_t>{7, 3}));
}

TEST_F(RecorderTest, PcapngFilesEndWithStatistics) {
  Recorder r(options(FileFormat::kPcapng), queue, clock, [&] { return counters; });
  packets(r, 2, 100);
  counters.received = 5;
  counters.dropped = 1;
  r.finish();
  files.drain(queue);
  ASSERT_EQ(files.bytes.size(), 1u);
  const auto& f = files.bytes[0];
  std::uint32_t type;
  StreamParams p;
  p.format = FileFormat::kPcapng;
  std::memcpy(&type, f.data() + f.size() - trailer_size(p), 4);
  EXPECT_EQ(type, kPcapngInterfaceStatistics);
}

}  // namespace
}  // namespace pcap_ring
