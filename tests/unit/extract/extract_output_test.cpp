#include "extract/extract_output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <optional>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

PacketRecord packet(NanoTime ts, const std::vector<std::uint8_t>& bytes) {
  PacketRecord r;
  r.ts = ts;
  r.caplen = static_cast<std::uint32_t>(bytes.size());
  r.origlen = r.caplen + 10;
  r.data = bytes.data();
  return r;
}

struct Written {
  std::vector<std::pair<NanoTime, std::uint32_t>> records;
  FileFormat format;
  int linktype;
};

Written read_back(const std::string& path) {
  RecordReader reader(UniqueFd(::open(path.c_str(), O_RDONLY)));
  std::string error;
  EXPECT_TRUE(reader.open(&error)) << error;
  Written w{{}, reader.format(), reader.linktype()};
  PacketRecord r;
  while (reader.next(&r) == RecordReader::Status::kRecord) w.records.emplace_back(r.ts, r.caplen);
  return w;
}

TEST(ExtractOutput, PcapngKeepsNanosecondsAndOneInterfacePerRing) {
  testing::TempDir dir;
  std::string path = dir.file("out.pcapng");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  ExtractOutput out(fd.get(), FileFormat::kPcapng, {{1, 65535, "h/eth0", ""}, {1, 65535, "h/eth1", ""}}, {});
  ASSERT_TRUE(out.begin());
  std::vector<std::uint8_t> data(100, 0xab);
  EXPECT_EQ(out.write(0, packet(1'000'000'000'123'456'789, data)), ExtractOutput::Result::kWritten);
  EXPECT_EQ(out.write(1, packet(1'000'000'000'123'456'790, data)), ExtractOutput::Result::kWritten);
  ASSERT_TRUE(out.finish());
  Written w = read_back(path);
  EXPECT_EQ(w.format, FileFormat::kPcapng);
  ASSERT_EQ(w.records.size(), 2u);
  EXPECT_EQ(w.records[0].first, 1'000'000'000'123'456'789);
  EXPECT_EQ(w.records[1].first, 1'000'000'000'123'456'790);
  EXPECT_EQ(out.bytes(), static_cast<std::uint64_t>(::lseek(fd.get(), 0, SEEK_END)));
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::vector<std::uint8_t> bytes;
  UniqueFd fd(::open(path.c_str(), O_RDONLY));
  std::uint8_t chunk[65536];
  ssize_t n;
  while ((n = ::read(fd.get(), chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  return bytes;
}

// Records of a nanosecond pcap ring are written by reference to the reader's bytes, and out
// before the reader reuses them: the output must be byte for byte what encoding gives,
// across the reader's chunks, with runs broken by skipped and encoded records.
TEST(ExtractOutput, RecordsWrittenByReferenceGiveTheSameBytesAsEncoding) {
  testing::TempDir dir;
  StreamParams p;  // nanosecond pcap in this host's byte order: what the ring writes
  std::vector<std::uint8_t> ring = encode_file_header(p);
  std::vector<std::uint8_t> payload(1500);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  for (int i = 0; i < 8000; ++i) {  // about 6 MB: several chunks read ahead
    auto len = static_cast<std::uint32_t>(60 + i * 13 % 1400);
    std::size_t at = ring.size();
    ring.resize(at + record_size(p, len));
    encode_record(p, ring.data() + at, 1'700'000'000'000'000'000 + i * 1009LL, len, len + 4, payload.data());
  }
  std::string ring_path = dir.file("ring.pcap");
  {
    UniqueFd w(::open(ring_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
    ASSERT_EQ(write_all(w.get(), ring.data(), ring.size()), 0);
  }
  auto run = [&](const std::string& name, bool by_reference, std::optional<std::uint32_t> snaplen, int* borrowed) {
    std::string path = dir.file(name);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
    OutputLimits limits;
    limits.snaplen = snaplen;
    ExtractOutput out(fd.get(), FileFormat::kPcap, {{1, 262144, "h/eth0", ""}}, limits);
    EXPECT_TRUE(out.begin());
    RecordReader reader(UniqueFd(::open(ring_path.c_str(), O_RDONLY)));
    reader.set_before_reuse([&out] { out.release_borrowed(); });
    std::string error;
    EXPECT_TRUE(reader.open(&error)) << error;
    PacketRecord r;
    int i = 0;
    while (reader.next(&r) == RecordReader::Status::kRecord) {
      if (i++ % 5 == 3) continue;  // runs of adjacent records, and breaks between them
      if (!by_reference || i % 7 == 0) r.verbatim = nullptr;  // some encoded in between
      if (r.verbatim && snaplen == std::nullopt) ++*borrowed;
      EXPECT_EQ(out.write(0, r), ExtractOutput::Result::kWritten);
    }
    EXPECT_TRUE(out.finish());
    EXPECT_EQ(out.bytes(), static_cast<std::uint64_t>(::lseek(fd.get(), 0, SEEK_END)));
    return file_bytes(path);
  };
  int borrowed = 0, none = 0;
  auto by_reference = run("by-reference", true, std::nullopt, &borrowed);
  auto encoded = run("encoded", false, std::nullopt, &none);
  EXPECT_GT(borrowed, 4000);
  EXPECT_EQ(none, 0);
  EXPECT_EQ(by_reference.size(), encoded.size());
  EXPECT_TRUE(by_reference == encoded);
  // --snaplen cuts records: they are encoded, never passed on whole.
  auto cut_by_reference = run("cut-by-reference", true, 100, &none);
  auto cut_encoded = run("cut-encoded", false, 100, &none);
  EXPECT_TRUE(cut_by_reference == cut_encoded);
  EXPECT_LT(cut_by_reference.size(), encoded.size());
}

TEST(ExtractOutput, LimitsStopBeforeThePacketThatWouldPassThem) {
  testing::TempDir dir;
  UniqueFd fd(::open(dir.file("o").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  std::vector<std::uint8_t> data(100, 1);
  OutputLimits limits;
  limits.max_bytes = kPcapFileHeaderSize + 2 * (kPcapRecordHeaderSize + 100) + 50;
  ExtractOutput out(fd.get(), FileFormat::kPcap, {{1, 65535, "", ""}}, limits);
  ASSERT_TRUE(out.begin());
  EXPECT_EQ(out.write(0, packet(1, data)), ExtractOutput::Result::kWritten);
  EXPECT_EQ(out.write(0, packet(2, data)), ExtractOutput::Result::kWritten);
  EXPECT_EQ(out.write(0, packet(3, data)), ExtractOutput::Result::kLimitBytes);
  ASSERT_TRUE(out.finish());
  EXPECT_LE(out.bytes(), *limits.max_bytes);

  OutputLimits two;
  two.max_packets = 2;
  two.snaplen = 10;
  UniqueFd fd2(::open(dir.file("p").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  ExtractOutput cut(fd2.get(), FileFormat::kPcap, {{1, 65535, "", ""}}, two);
  ASSERT_TRUE(cut.begin());
  EXPECT_EQ(cut.write(0, packet(1, data)), ExtractOutput::Result::kWritten);
  EXPECT_EQ(cut.write(0, packet(2, data)), ExtractOutput::Result::kWritten);
  EXPECT_EQ(cut.write(0, packet(3, data)), ExtractOutput::Result::kLimitPackets);
  ASSERT_TRUE(cut.finish());
  Written w = read_back(dir.file("p"));
  ASSERT_EQ(w.records.size(), 2u);
  EXPECT_EQ(w.records[0].second, 10u);
}

TEST(ExtractOutput, AHeaderLargerThanTheBufferAndAFilterTooLongForAnOption) {
  testing::TempDir dir;
  std::string path = dir.file("big.pcapng");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  std::vector<OutputInterface> interfaces;
  for (int i = 0; i < 40; ++i) interfaces.push_back({1, 65535, "h/eth" + std::to_string(i), std::string(60000, 'x')});
  interfaces.push_back({1, 65535, "h/long", std::string(70000, 'y')});
  ExtractOutput out(fd.get(), FileFormat::kPcapng, interfaces, {});
  ASSERT_TRUE(out.begin());  // 2.4 MB of interface descriptions
  std::vector<std::uint8_t> data(60, 7);
  EXPECT_EQ(out.write(40, packet(5, data)), ExtractOutput::Result::kWritten);
  ASSERT_TRUE(out.finish());
  Written w = read_back(path);
  ASSERT_EQ(w.records.size(), 1u);
  EXPECT_EQ(w.records[0].first, 5);
}

TEST(ExtractOutput, AClosedPipeIsAWriteErrorNamedAsSuch) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::signal(SIGPIPE, SIG_IGN);
  ExtractOutput out(fds[1], FileFormat::kPcap, {{1, 65535, "", ""}}, {});
  ASSERT_TRUE(out.begin());
  EXPECT_FALSE(out.finish());
  EXPECT_NE(out.error().find("closed"), std::string::npos) << out.error();
  ::close(fds[1]);
}

}  // namespace
}  // namespace pcap_ring
