#include "format/capture_scanner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encode_stream(const StreamParams& p, int packets, NanoTime t0) {
  Bytes out = encode_file_header(p);
  std::uint8_t payload[100];
  for (int i = 0; i < 100; ++i) payload[i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < packets; ++i) {
    std::uint32_t len = 40 + static_cast<std::uint32_t>(i % 7);
    std::size_t at = out.size();
    out.resize(at + record_size(p, len));
    encode_record(p, out.data() + at, t0 + i * 1000, len, len, payload);
  }
  return out;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

class CaptureScannerBothFormats : public ::testing::TestWithParam<FileFormat> {};

TEST_P(CaptureScannerBothFormats, CountsPacketsAndTimeSpan) {
  StreamParams p;
  p.format = GetParam();
  NanoTime t0 = 1'700'000'000LL * kNanosPerSecond + 5;
  Bytes b = encode_stream(p, 10, t0);
  FileScan scan;
  std::string error;
  ASSERT_TRUE(scan_capture_bytes(b.data(), b.size(), &scan, &error)) << error;
  EXPECT_EQ(scan.format, GetParam());
  EXPECT_EQ(scan.packets, 10u);
  EXPECT_EQ(scan.first, t0);
  EXPECT_EQ(scan.last, t0 + 9000);
  EXPECT_TRUE(scan.complete());
}

TEST_P(CaptureScannerBothFormats, TornLastRecordIsExcluded) {
  StreamParams p;
  p.format = GetParam();
  Bytes whole = encode_stream(p, 5, 1000);
  Bytes four = encode_stream(p, 4, 1000);
  for (std::size_t cut = four.size() + 1; cut < whole.size(); cut += 3) {
    FileScan scan;
    std::string error;
    ASSERT_TRUE(scan_capture_bytes(whole.data(), cut, &scan, &error));
    EXPECT_EQ(scan.packets, 4u) << "cut at " << cut;
    EXPECT_EQ(scan.valid_bytes, four.size());
    EXPECT_FALSE(scan.complete());
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, CaptureScannerBothFormats,
                         ::testing::Values(FileFormat::kPcap, FileFormat::kPcapng));

// What a power loss leaves: the file's size grew, its last blocks never reached the disk.
TEST_P(CaptureScannerBothFormats, ZeroFilledTailEndsTheValidPart) {
  StreamParams p;
  p.format = GetParam();
  Bytes b = encode_stream(p, 3, 1'700'000'000LL * kNanosPerSecond);
  std::size_t real = b.size();
  b.resize(real + 65536, 0);
  FileScan scan;
  std::string error;
  ASSERT_TRUE(scan_capture_bytes(b.data(), b.size(), &scan, &error)) << error;
  EXPECT_EQ(scan.packets, 3u);
  EXPECT_EQ(scan.valid_bytes, real);
  EXPECT_EQ(scan.first, 1'700'000'000LL * kNanosPerSecond);
}

TEST(CaptureScanner, CaplenAboveSnaplenOrOriglenBelowCaplenEndsTheValidPart) {
  StreamParams p;
  p.snaplen = 64;
  std::uint8_t payload[100] = {};
  for (auto [caplen, origlen] : {std::pair{80u, 80u}, std::pair{40u, 20u}}) {
    Bytes b = encode_stream(p, 2, 1000);
    std::size_t real = b.size();
    b.resize(real + record_size(p, caplen));
    encode_record(p, b.data() + real, 5000, caplen, origlen, payload);
    FileScan scan;
    std::string error;
    ASSERT_TRUE(scan_capture_bytes(b.data(), b.size(), &scan, &error)) << error;
    EXPECT_EQ(scan.packets, 2u) << caplen << "/" << origlen;
    EXPECT_EQ(scan.valid_bytes, real);
  }
}

TEST(CaptureScanner, GarbageLengthStopsTheScan) {
  StreamParams p;
  Bytes b = encode_stream(p, 3, 1000);
  Bytes garbage = {1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
  b.insert(b.end(), garbage.begin(), garbage.end());
  FileScan scan;
  std::string error;
  ASSERT_TRUE(scan_capture_bytes(b.data(), b.size(), &scan, &error));
  EXPECT_EQ(scan.packets, 3u);
  EXPECT_EQ(scan.valid_bytes, b.size() - garbage.size());
}

TEST(CaptureScanner, RejectsWhatIsNotACapture) {
  FileScan scan;
  std::string error;
  Bytes text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  EXPECT_FALSE(scan_capture_bytes(text.data(), text.size(), &scan, &error));
  EXPECT_NE(error.find("not a pcap or pcapng file"), std::string::npos) << error;
  Bytes short_header = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0};
  EXPECT_FALSE(scan_capture_bytes(short_header.data(), short_header.size(), &scan, &error));
  EXPECT_NE(error.find("shorter"), std::string::npos) << error;
  EXPECT_FALSE(scan_capture_bytes(nullptr, 0, &scan, &error));
}

// Files written by another tool (editcap) with known content.
TEST(CaptureScanner, ReadsFilesWrittenByWireshark) {
  FileScan scan;
  std::string error;
  ASSERT_TRUE(scan_capture_file(std::string(TEST_DATA_DIR) + "/three_udp_micro.pcap", &scan, &error)) << error;
  EXPECT_EQ(scan.format, FileFormat::kPcap);
  EXPECT_EQ(scan.packets, 3u);
  EXPECT_TRUE(scan.complete());
  EXPECT_EQ(scan.first, 1795570466'459208000LL);
  EXPECT_EQ(scan.last, 1795570466'459218000LL);

  ASSERT_TRUE(scan_capture_file(std::string(TEST_DATA_DIR) + "/three_udp.pcapng", &scan, &error)) << error;
  EXPECT_EQ(scan.format, FileFormat::kPcapng);
  EXPECT_EQ(scan.packets, 3u);
  EXPECT_TRUE(scan.complete());
  EXPECT_EQ(scan.first, 1795570466'459208413LL);
  EXPECT_EQ(scan.last, 1795570466'459218739LL);
}

TEST(CaptureScanner, MissingFileIsAnError) {
  FileScan scan;
  std::string error;
  EXPECT_FALSE(scan_capture_file("/nonexistent/x.pcap", &scan, &error));
  EXPECT_NE(error.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace pcap_ring
