#include "format/record_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encode(const StreamParams& p, int packets, NanoTime t0, std::vector<std::uint64_t>* offsets = nullptr) {
  Bytes out = encode_file_header(p);
  std::uint8_t payload[300];
  for (int i = 0; i < 300; ++i) payload[i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < packets; ++i) {
    std::uint32_t len = 40 + static_cast<std::uint32_t>(i * 37 % 250);
    if (offsets) offsets->push_back(out.size());
    std::size_t at = out.size();
    out.resize(at + record_size(p, len));
    encode_record(p, out.data() + at, t0 + i * 1001, len, len + 3, payload);
  }
  return out;
}

UniqueFd write_file(const testing::TempDir& dir, const Bytes& bytes) {
  std::string path = dir.file("f");
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(bytes.data()),
                                                                static_cast<std::streamsize>(bytes.size()));
  return UniqueFd(::open(path.c_str(), O_RDONLY));
}

class RecordReaderBothFormats : public ::testing::TestWithParam<FileFormat> {};

TEST_P(RecordReaderBothFormats, ReadsEveryRecordWithNanosecondTimes) {
  testing::TempDir dir;
  StreamParams p;
  p.format = GetParam();
  p.linktype = 113;
  NanoTime t0 = 1'700'000'000LL * kNanosPerSecond + 7;
  std::vector<std::uint64_t> offsets;
  RecordReader reader(write_file(dir, encode(p, 5000, t0, &offsets)));
  std::string error;
  ASSERT_TRUE(reader.open(&error)) << error;
  EXPECT_EQ(reader.linktype(), 113);
  EXPECT_EQ(reader.header_bytes(), offsets.front());
  PacketRecord r;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord) << i;
    EXPECT_EQ(r.ts, t0 + i * 1001);
    EXPECT_EQ(r.caplen, 40u + static_cast<std::uint32_t>(i * 37 % 250));
    EXPECT_EQ(r.origlen, r.caplen + 3);
    EXPECT_EQ(r.offset, offsets[static_cast<std::size_t>(i)]);
    EXPECT_EQ(r.data[5], 5);
  }
  EXPECT_EQ(reader.next(&r), RecordReader::Status::kEnd);
  // Seeking to any record's offset continues from there.
  reader.seek(offsets[4321]);
  ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord);
  EXPECT_EQ(r.ts, t0 + 4321 * 1001);
}

TEST_P(RecordReaderBothFormats, AGrowingFileIsReadPastWhereItEnded) {
  testing::TempDir dir;
  StreamParams p;
  p.format = GetParam();
  Bytes whole = encode(p, 10, 1000);
  Bytes cut(whole.begin(), whole.end() - 7);  // the last record is not whole yet
  RecordReader reader(write_file(dir, cut));
  std::string error;
  ASSERT_TRUE(reader.open(&error)) << error;
  PacketRecord r;
  for (int i = 0; i < 9; ++i) ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord);
  EXPECT_EQ(reader.next(&r), RecordReader::Status::kEnd);
  std::ofstream(dir.file("f"), std::ios::binary | std::ios::app)
      .write(reinterpret_cast<const char*>(whole.data() + cut.size()), 7);
  ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord);
  EXPECT_EQ(r.ts, 1000 + 9 * 1001);
  EXPECT_EQ(reader.next(&r), RecordReader::Status::kEnd);
}

TEST_P(RecordReaderBothFormats, ALongReadIsTheSameWithTheNextChunkReadAhead) {
  // Megabytes of records of up to 60 kB: records cross the chunks read ahead, and a seek
  // while a chunk is being read ahead lands where it should.
  testing::TempDir dir;
  StreamParams p;
  p.format = GetParam();
  Bytes out = encode_file_header(p);
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint8_t> payload(60000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i % 251);
  for (int i = 0; i < 400; ++i) {
    auto len = static_cast<std::uint32_t>(i % 3 == 0 ? 60000 : 100 + i * 997 % 30000);
    offsets.push_back(out.size());
    std::size_t at = out.size();
    out.resize(at + record_size(p, len));
    encode_record(p, out.data() + at, 7000 + i, len, len, payload.data());
  }
  ASSERT_GT(out.size(), 6u << 20);
  RecordReader reader(write_file(dir, out));
  std::string error;
  ASSERT_TRUE(reader.open(&error)) << error;
  PacketRecord r;
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord) << i;
    EXPECT_EQ(r.ts, 7000 + i);
    EXPECT_EQ(r.offset, offsets[static_cast<std::size_t>(i)]);
    EXPECT_EQ(r.data[r.caplen - 1], static_cast<std::uint8_t>((r.caplen - 1) % 251)) << i;
    if (i == 150) {  // back to an earlier record, then on again
      reader.seek(offsets[20]);
      ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord);
      EXPECT_EQ(r.ts, 7020);
      reader.seek(offsets[151]);
    }
  }
  EXPECT_EQ(reader.next(&r), RecordReader::Status::kEnd);

  // Forward, past the chunks already asked for, then a second file-long read.
  RecordReader again(write_file(dir, out));
  ASSERT_TRUE(again.open(&error)) << error;
  for (int i = 0; i < 30; ++i) ASSERT_EQ(again.next(&r), RecordReader::Status::kRecord) << i;
  again.seek(offsets[300]);
  for (int i = 300; i < 400; ++i) {
    ASSERT_EQ(again.next(&r), RecordReader::Status::kRecord) << i;
    EXPECT_EQ(r.ts, 7000 + i);
    EXPECT_EQ(r.data[r.caplen - 1], static_cast<std::uint8_t>((r.caplen - 1) % 251)) << i;
  }
  EXPECT_EQ(again.next(&r), RecordReader::Status::kEnd);
  again.seek(offsets[1]);
  for (int i = 1; i < 400; ++i) {
    ASSERT_EQ(again.next(&r), RecordReader::Status::kRecord) << i;
    EXPECT_EQ(r.offset, offsets[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(again.next(&r), RecordReader::Status::kEnd);
}

INSTANTIATE_TEST_SUITE_P(Formats, RecordReaderBothFormats, ::testing::Values(FileFormat::kPcap, FileFormat::kPcapng));

TEST(RecordReader, MicrosecondPcapAndOtherByteOrder) {
  testing::TempDir dir;
  StreamParams p;
  p.precision = TimestampPrecision::kMicro;
  Bytes b = encode(p, 3, 5'000'000'000);
  // Swap every header field to the other byte order.
  auto swap32 = [&](std::size_t at) {
    std::reverse(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + 4));
  };
  for (std::size_t at : {0u, 8u, 12u, 16u, 20u}) swap32(at);
  std::reverse(b.begin() + 4, b.begin() + 6);
  std::reverse(b.begin() + 6, b.begin() + 8);
  std::size_t off = kPcapFileHeaderSize;
  for (int i = 0; i < 3; ++i) {
    std::uint32_t caplen;
    std::memcpy(&caplen, b.data() + off + 8, 4);
    for (std::size_t f = 0; f < 16; f += 4) swap32(off + f);
    off += kPcapRecordHeaderSize + caplen;
  }
  RecordReader reader(write_file(dir, b));
  std::string error;
  ASSERT_TRUE(reader.open(&error)) << error;
  PacketRecord r;
  ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord);
  EXPECT_EQ(r.ts, 5'000'000'000);
  ASSERT_EQ(reader.next(&r), RecordReader::Status::kRecord);
  EXPECT_EQ(r.ts, 5'000'001'000);  // 1001 ns stored as 1 us
}

TEST(RecordReader, GarbageIsMalformedNotACrash) {
  testing::TempDir dir;
  StreamParams p;
  Bytes b = encode(p, 3, 1000);
  std::uint32_t huge = 0x7ffffff0;
  std::memcpy(b.data() + kPcapFileHeaderSize + 8, &huge, 4);
  RecordReader reader(write_file(dir, b));
  std::string error;
  ASSERT_TRUE(reader.open(&error));
  PacketRecord r;
  EXPECT_EQ(reader.next(&r), RecordReader::Status::kMalformed);
  EXPECT_NE(reader.error().find("snapshot length"), std::string::npos) << reader.error();

  // A pcapng simple packet block too short to hold its length field.
  StreamParams ng;
  ng.format = FileFormat::kPcapng;
  Bytes spb = encode_file_header(ng);
  for (std::uint32_t v : {3u, 12u, 12u}) {
    std::uint8_t le[4];
    std::memcpy(le, &v, 4);
    spb.insert(spb.end(), le, le + 4);
  }
  RecordReader short_block(write_file(dir, spb));
  ASSERT_TRUE(short_block.open(&error)) << error;
  EXPECT_EQ(short_block.next(&r), RecordReader::Status::kMalformed);

  RecordReader not_capture(write_file(dir, Bytes{'h', 'e', 'l', 'l', 'o', '!'}));
  EXPECT_FALSE(not_capture.open(&error));
  EXPECT_NE(error.find("not a pcap or pcapng file"), std::string::npos) << error;
}

}  // namespace
}  // namespace pcap_ring
