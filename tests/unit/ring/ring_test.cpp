#include "ring/ring.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>

#include "common/exit_codes.h"
#include "flows/flow_index_file.h"
#include "format/capture_scanner.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

namespace fs = std::filesystem;

class RingTest : public ::testing::Test {
 protected:
  RingOptions options(std::uint64_t limit = 3, std::uint64_t max_bytes = 0) {
    RingOptions o;
    o.directory = dir.path() + "/ring";
    o.id = {"pcap", "eth0"};
    o.limits = {limit, max_bytes};
    o.file_size_bytes = 10'000;
    return o;
  }
  // Appends `records` records of 100 bytes (116 with their header), 1 us apart.
  void add_records(RecordBatch& b, int records) {
    for (int i = 0; i < records; ++i) {
      b.size += encode_record(stream, b.data.get() + b.size, t, 100, 100, payload);
      if (b.packets++ == 0) b.first = t;
      b.last = t;
      t += 1000;
    }
  }
  // The ring's flow index of finished file `r` is, byte for byte, the index of the file read back.
  void expect_flow_index_of_file(const RingOptions& o, const FileRecord& r, const std::string& label) {
    UniqueFd fd(::open((o.directory + "/" + r.file).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    std::vector<std::uint8_t> expected;
    std::string error;
    ASSERT_TRUE(build_flow_index_fd(fd.get(), &expected, &error)) << error;
    std::ifstream in(o.directory + "/." + r.file + ".flows", std::ios::binary);
    std::vector<std::uint8_t> written((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(written, expected) << r.file << label;
    EXPECT_EQ(r.flow_index_bytes, expected.size()) << r.file << label;
  }
  // One whole file: header, `packets` records of 100 bytes, close.
  void write_file(Ring& ring, int packets, std::uint64_t drops = 0) {
    RecordBatch b(1 << 20);
    b.file_header = encode_file_header(stream);
    add_records(b, packets);
    b.closes_file = true;
    b.file_drops = drops;
    ring.write_batch(b);
    ring.flush();
  }
  // One file in `batches` batches of `per_batch` records (116 bytes each), calling
  // `after_batch` after each batch reaches the ring, the keeper perhaps still busy.
  void write_file_in_batches(Ring& ring, int batches, int per_batch, const std::function<void()>& after_batch) {
    for (int k = 0; k < batches; ++k) {
      RecordBatch b(1 << 20);
      if (k == 0) b.file_header = encode_file_header(stream);
      add_records(b, per_batch);
      b.closes_file = k + 1 == batches;
      ring.write_batch(b);
      after_batch();
    }
  }
  // Ring files on disk, a file being renamed from .part counted once (a directory listing
  // taken during the rename may show it under both names).
  std::size_t ring_file_count() {
    std::set<std::string> files;
    for (auto name : names()) {
      if (name.ends_with(".part")) name.resize(name.size() - 5);
      files.insert(name);
    }
    return files.size();
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.path() + "/ring"))
      if (e.path().filename().string().front() != '.') out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  // A real small file system at the ring's directory, unmounted after the test.
  std::string mount_small_tmpfs(const char* options) {
    std::string mnt = dir.path() + "/ring";
    fs::create_directories(mnt);
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, options) != 0) return "";
    mounted_ = mnt;
    return mnt;
  }
  void TearDown() override {
    if (!mounted_.empty()) umount2(mounted_.c_str(), MNT_DETACH);
  }
  std::string mounted_;
  testing::TempDir dir;
  StreamParams stream;
  NanoTime t = 1'700'000'000LL * kNanosPerSecond;
  std::uint8_t payload[100] = {};
};

TEST_F(RingTest, FinishedFilesAreRenamedIndexedAndOldestDeleted) {
  Ring ring(options(3));
  std::vector<FileRecord> finished;
  ring.set_on_finished([&](const FileRecord& r) { finished.push_back(r); });
  ring.open();
  for (int i = 0; i < 5; ++i) write_file(ring, 2 + i, i);
  // Limit 3 counts the file being written; with none open, 3 finished files remain.
  EXPECT_EQ(names(), (std::vector<std::string>{"pcap-eth0-000002.pcap", "pcap-eth0-000003.pcap",
                                               "pcap-eth0-000004.pcap"}));
  ASSERT_EQ(finished.size(), 5u);
  EXPECT_EQ(finished[4].packets, 6u);
  EXPECT_EQ(finished[4].drops, 4u);
  EXPECT_EQ(finished[4].bytes, 24u + 6 * 116u);
  EXPECT_EQ(ring.counters().files_deleted, 2u);
  ASSERT_EQ(ring.finished_files().size(), 3u);
  EXPECT_EQ(ring.finished_files().front().sequence, 2u);
}

TEST_F(RingTest, ByteBudgetHoldsWithTheLiveFileIncluded) {
  Ring ring(options(100, 25'000));
  ring.open();
  for (int i = 0; i < 6; ++i) write_file(ring, 50);  // 5824 bytes each
  std::uint64_t total = 0;
  for (const auto& n : names()) total += fs::file_size(dir.path() + "/ring/" + n);
  EXPECT_LE(total + 10'000, 25'000u + 5824u);  // room for the next file was kept before each
  EXPECT_LE(total, 25'000u);
  EXPECT_EQ(names().size(), 3u);  // 2 kept when the 6th started, plus the 6th
}

TEST_F(RingTest, FlowIndexBesideEachFinishedFileIsCountedAndDeletedWithIt) {
  RingOptions o = options(3);
  o.flow_index = true;
  Ring ring(o);
  ring.open();
  for (int i = 0; i < 5; ++i) write_file(ring, 20 + i);
  auto ring_dir = dir.path() + "/ring/";
  for (int seq = 0; seq < 5; ++seq) {
    std::string flows = ring_dir + ".pcap-eth0-00000" + std::to_string(seq) + ".pcap.flows";
    EXPECT_EQ(fs::exists(flows), seq >= 2) << flows;  // deleted with its file
  }
  UniqueFd dir_fd(::open(ring_dir.c_str(), O_RDONLY | O_DIRECTORY));
  for (const auto& r : ring.finished_files()) {
    FlowIndex index;
    std::string error;
    ASSERT_EQ(load_flow_index(dir_fd.get(), r.file, &index, &error), FlowIndexState::kValid) << error;
    std::uint32_t records = 0;
    for (const auto& b : index.blocks()) records += b.records;
    EXPECT_EQ(records, r.packets);
    EXPECT_EQ(r.flow_index_bytes, fs::file_size(ring_dir + "." + r.file + ".flows"));
    EXPECT_GT(r.flow_index_bytes, 0u);
  }
}

// The writer feeds the index the bytes it writes, batch by batch: the result is the index of the
// file as it lies on disk, byte for byte, buffered or with direct I/O.
TEST_F(RingTest, FlowIndexFedFromTheWrittenBatchesEqualsTheFileReadBack) {
  for (bool direct : {false, true}) {
    RingOptions o = options(10);
    o.file_size_bytes = 1'000'000;
    o.flow_index = true;
    o.direct_io = direct;
    Ring ring(o);
    ring.open();
    write_file_in_batches(ring, 7, 33, [] {});
    write_file(ring, 5);
    ring.flush();
    ASSERT_EQ(ring.finished_files().size(), direct ? 4u : 2u);
    for (const auto& r : ring.finished_files()) {
      if (direct && r.sequence < 2) continue;  // the first loop's files
      expect_flow_index_of_file(o, r, direct ? " (direct I/O)" : "");
    }
    EXPECT_EQ(ring.counters().flow_indexes_reread, 0u);
  }
}

// A writer that falls behind hands the rest of the file's index to the publisher, which reads
// it back from the file as each chunk reaches the disk (buffered) or when the file is finished
// (direct I/O): the same index as a file read back whole.
TEST_F(RingTest, FlowIndexHandedToThePublisherWhenTheWriterFallsBehindIsTheSame) {
  for (bool direct : {false, true}) {
    RingOptions o = options(10);
    o.file_size_bytes = 100'000'000;
    o.flow_index = true;
    o.direct_io = direct;
    Ring ring(o);
    ring.open();
    // 9000 records of 116 bytes per batch: about 1 MiB, so a file of 24 crosses the
    // write-behind chunks; the writer is "behind" from the fifth batch on.
    const std::size_t first_new = ring.next_sequence();
    for (int k = 0; k < 24; ++k) {
      RecordBatch b(1 << 21);
      if (k == 0) b.file_header = encode_file_header(stream);
      add_records(b, 9000);
      b.closes_file = k == 23;
      ring.write_batch(b, k >= 4 ? 8 : 0);
    }
    ring.flush();
    const auto files = ring.finished_files();
    ASSERT_FALSE(files.empty());
    const FileRecord& r = files.back();
    ASSERT_EQ(r.sequence, first_new);
    EXPECT_EQ(r.packets, 24u * 9000u);
    expect_flow_index_of_file(o, r, direct ? " (direct I/O)" : " (buffered)");
    EXPECT_EQ(ring.counters().flow_indexes_reread, 0u);  // fed once, by the writer then the publisher
  }
}

// A batch the disk refused is not in the file, and so not in its index either.
TEST_F(RingTest, FlowIndexLeavesOutABatchTheDiskRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  std::string mnt = mount_small_tmpfs("size=256k");
  ASSERT_FALSE(mnt.empty()) << errno_text(errno);
  auto o = options(1000);
  o.file_size_bytes = 10'000'000;
  o.flow_index = true;
  Ring ring(o);
  ring.open();
  int batch = 0;
  for (int records : {50, 3000, 60}) {  // 116 bytes each: the second batch is larger than the disk
    RecordBatch b(1 << 20);
    if (batch == 0) b.file_header = encode_file_header(stream);
    add_records(b, records);
    b.closes_file = ++batch == 3;
    ring.write_batch(b);
  }
  ring.flush();
  EXPECT_EQ(ring.counters().packets_lost, 3000u);
  ASSERT_EQ(ring.finished_files().size(), 1u);
  const FileRecord r = ring.finished_files().front();
  EXPECT_EQ(r.packets, 110u);
  FlowIndex index;
  std::string error;
  UniqueFd dir_fd(::open(mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(load_flow_index(dir_fd.get(), r.file, &index, &error), FlowIndexState::kValid) << error;
  std::uint64_t records = 0;
  for (const auto& b : index.blocks()) records += b.records;
  EXPECT_EQ(records, 110u);
  EXPECT_EQ(index.blocks().back().end, r.bytes);
  EXPECT_EQ(ring.counters().flow_indexes_reread, 0u);  // the refused batch was never fed
}

TEST_F(RingTest, ByteBudgetCountsTheFlowIndexes) {
  RingOptions o = options(100, 25'000);
  o.flow_index = true;
  Ring ring(o);
  ring.open();
  for (int i = 0; i < 6; ++i) write_file(ring, 50);
  std::uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir.path() + "/ring")) {
    std::string name = e.path().filename().string();
    if (name.starts_with("pcap-") || name.ends_with(".flows")) total += fs::file_size(e.path());
  }
  EXPECT_LE(total, 25'000u);
  std::uint64_t counted = 0;
  for (const auto& r : ring.finished_files()) counted += r.disk_bytes();
  EXPECT_EQ(counted, total);
}

TEST_F(RingTest, RecoveredFilesGetAFlowIndexAndOrphansAreRemoved) {
  fs::create_directories(dir.path() + "/ring");
  std::vector<std::uint8_t> bytes = encode_file_header(stream);
  for (int i = 0; i < 3; ++i) {
    std::size_t at = bytes.size();
    bytes.resize(at + record_size(stream, 100));
    encode_record(stream, bytes.data() + at, t + i, 100, 100, payload);
  }
  std::ofstream(dir.path() + "/ring/pcap-eth0-000007.pcap.part", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  testing::write_text_file(dir.path() + "/ring/.pcap-eth0-000003.pcap.flows", "left by a file deleted by hand");
  RingOptions o = options(10);
  o.flow_index = true;
  Ring ring(o);
  ring.open();
  EXPECT_TRUE(fs::exists(dir.path() + "/ring/.pcap-eth0-000007.pcap.flows"));
  EXPECT_FALSE(fs::exists(dir.path() + "/ring/.pcap-eth0-000003.pcap.flows"));
  ASSERT_EQ(ring.finished_files().size(), 1u);
  EXPECT_GT(ring.finished_files().front().flow_index_bytes, 0u);
}

TEST_F(RingTest, NumberingResumesAfterRestartAndNothingIsOverwritten) {
  {
    Ring ring(options(10));
    ring.open();
    write_file(ring, 1);
    write_file(ring, 1);
  }
  auto before = fs::last_write_time(dir.path() + "/ring/pcap-eth0-000001.pcap");
  Ring ring(options(10));
  ring.open();
  EXPECT_EQ(ring.next_sequence(), 2u);
  write_file(ring, 1);
  EXPECT_EQ(names().back(), "pcap-eth0-000002.pcap");
  EXPECT_EQ(fs::last_write_time(dir.path() + "/ring/pcap-eth0-000001.pcap"), before);
}

TEST_F(RingTest, LeftoverPartIsRepairedFinishedAndIndexed) {
  fs::create_directories(dir.path() + "/ring");
  std::vector<std::uint8_t> bytes = encode_file_header(stream);
  for (int i = 0; i < 3; ++i) {
    std::size_t at = bytes.size();
    bytes.resize(at + record_size(stream, 100));
    encode_record(stream, bytes.data() + at, t + i, 100, 100, payload);
  }
  bytes.insert(bytes.end(), {1, 2, 3, 4, 5, 6, 7});  // a torn record
  {
    std::ofstream out(dir.path() + "/ring/pcap-eth0-000007.pcap.part", std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  testing::write_text_file(dir.path() + "/ring/pcap-eth0-000008.pcap.part", "");  // empty: removed
  Ring ring(options(10));
  std::vector<FileRecord> finished;
  ring.set_on_finished([&](const FileRecord& r) { finished.push_back(r); });
  ring.open();
  EXPECT_EQ(names(), (std::vector<std::string>{"pcap-eth0-000007.pcap"}));
  EXPECT_EQ(ring.next_sequence(), 9u);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].packets, 3u);
  FileScan scan;
  std::string error;
  ASSERT_TRUE(scan_capture_file(dir.path() + "/ring/pcap-eth0-000007.pcap", &scan, &error));
  EXPECT_TRUE(scan.complete());
  EXPECT_EQ(scan.packets, 3u);
  EXPECT_EQ(ring.counters().files_recovered, 1u);
}

TEST_F(RingTest, PartWithATornPcapngHeaderIsRemovedNotPublished) {
  fs::create_directories(dir.path() + "/ring");
  StreamParams ng;
  ng.format = FileFormat::kPcapng;
  ng.interface_name = "eth0";
  std::vector<std::uint8_t> header = encode_file_header(ng);
  // The section header block is whole, the interface description is cut short.
  std::uint32_t shb_len;
  std::memcpy(&shb_len, header.data() + 4, 4);
  {
    std::ofstream out(dir.path() + "/ring/pcap-eth0-000004.pcapng.part", std::ios::binary);
    out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(shb_len + 10));
  }
  Ring ring(options(10));
  ring.open();
  EXPECT_TRUE(names().empty());
  EXPECT_TRUE(ring.finished_files().empty());
  EXPECT_EQ(ring.next_sequence(), 5u);  // its number is not reused
}

TEST_F(RingTest, IndexIsRebuiltForFilesItDoesNotKnow) {
  {
    Ring ring(options(10));
    ring.open();
    write_file(ring, 4);
  }
  fs::remove(dir.path() + "/ring/.pcap-eth0.index");
  Ring ring(options(10));
  ring.open();
  ASSERT_EQ(ring.finished_files().size(), 1u);
  EXPECT_EQ(ring.finished_files()[0].packets, 4u);
}

TEST_F(RingTest, CrashLoopLeavesNoEmptyFilesThatPushCapturesOut) {
  {
    Ring ring(options(3));
    ring.open();
    write_file(ring, 2);  // a real capture
  }
  // Ten starts that died before any packet: each leaves a .part holding only the header.
  for (int i = 0; i < 10; ++i) {
    Ring ring(options(3));
    ring.open();
    RecordBatch b(1 << 20);
    b.file_header = encode_file_header(stream);
    ring.write_batch(b);  // the header reaches the .part; then the "crash": no finish
  }
  // An empty finished file the index does not know goes too.
  std::vector<std::uint8_t> header = encode_file_header(stream);
  std::ofstream(dir.path() + "/ring/pcap-eth0-000050.pcap", std::ios::binary)
      .write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
  Ring ring(options(3));
  ring.open();
  EXPECT_EQ(names(), (std::vector<std::string>{"pcap-eth0-000000.pcap"}));
  ASSERT_EQ(ring.finished_files().size(), 1u);
  EXPECT_EQ(ring.finished_files()[0].packets, 2u);
  EXPECT_EQ(ring.counters().files_recovered, 0u);
}

TEST_F(RingTest, SecondWriterOnTheSameRingIsRefused) {
  Ring first(options());
  first.open();
  Ring second(options());
  try {
    second.open();
    FAIL() << "second writer was allowed";
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitUnavailable);
  }
}

TEST_F(RingTest, UnusableDirectoryIsAConfigError) {
  auto o = options();
  o.directory = "/dev/null/ring";
  Ring ring(o);
  try {
    ring.open();
    FAIL();
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitConfig);
    EXPECT_NE(std::string(e.what()).find("/dev/null/ring"), std::string::npos);
  }
}

// The keeper deletes while the writer writes, and the ring never holds more files than its
// limit at any moment: a file counts from its creation, published or not.
TEST_F(RingTest, FileLimitHoldsAtEveryMomentWhileTheKeeperDeletes) {
  Ring ring(options(3));
  ring.open();
  std::size_t most = 0;
  for (int f = 0; f < 12; ++f)
    write_file_in_batches(ring, 4, 20, [&] { most = std::max(most, ring_file_count()); });
  ring.flush();
  EXPECT_LE(most, 3u);
  // Stopped after a whole file: the newest two or three files (whether the third slot was
  // already given to the next file depends on how far the keeper had come).
  auto kept = ring.finished_files();
  ASSERT_GE(kept.size(), 2u);
  ASSERT_LE(kept.size(), 3u);
  EXPECT_EQ(kept.back().sequence, 11u);
  EXPECT_EQ(kept.front().sequence, 12u - kept.size());
  EXPECT_EQ(names().size(), kept.size());
  EXPECT_EQ(ring.counters().files_deleted, 12u - kept.size());
}

// Room for the next file is made while the current one is still being written (here after
// its first batch, which reaches its size limit), so a rotation never waits for a deletion;
// the history is one file shorter meanwhile.
TEST_F(RingTest, RoomForTheNextFileIsMadeBeforeTheCurrentOneIsFinished) {
  auto o = options(3);
  o.file_size_bytes = 2000;  // reached by the first batch: room is due whatever the clock says
  Ring ring(o);
  ring.open();
  for (int f = 0; f < 3; ++f) write_file_in_batches(ring, 4, 20, [&] { ring.flush(); });
  ASSERT_EQ(names().size(), 2u);
  int batch = 0;
  write_file_in_batches(ring, 4, 20, [&] {
    ring.flush();
    if (++batch < 4) EXPECT_EQ(ring.finished_files().size(), 1u) << "room for the next file was made";
  });
  EXPECT_EQ(ring.finished_files().size(), 2u);
  EXPECT_EQ(ring.counters().room_waits, 0u);
}

// Reading a file (no room made ahead), the ring keeps its whole file limit: each new file
// waits for its room, and the waits are counted.
TEST_F(RingTest, WithoutRoomAheadTheRingKeepsItsWholeLimit) {
  auto o = options(3);
  o.room_ahead = false;
  Ring ring(o);
  ring.open();
  std::size_t most = 0;
  for (int f = 0; f < 8; ++f) write_file_in_batches(ring, 4, 20, [&] { most = std::max(most, ring_file_count()); });
  ring.flush();
  EXPECT_LE(most, 3u);
  EXPECT_EQ(names().size(), 3u);
  EXPECT_EQ(ring.counters().files_deleted, 5u);
  EXPECT_EQ(ring.counters().room_waits, 5u);
}

// Files that end before room was made ahead (a timed rotation) still get their room: the new
// file waits for the deletion, counted, and the limit holds.
TEST_F(RingTest, ShortFilesWaitForRoomAndTheWaitIsCounted) {
  auto o = options(3);
  o.room_ahead = false;
  Ring ring(o);
  ring.open();
  std::size_t most = 0;
  for (int f = 0; f < 6; ++f) write_file_in_batches(ring, 1, 5, [&] { most = std::max(most, ring_file_count()); });
  ring.flush();
  EXPECT_LE(most, 3u);
  EXPECT_EQ(ring.counters().files_deleted, 3u);
  EXPECT_EQ(ring.counters().room_waits, 3u);
}

// Hooks hear of files in the order they were written, each once it is final.
TEST_F(RingTest, FinishedFilesAreAnnouncedInOrderOnceRenamed) {
  Ring ring(options(100));
  std::vector<std::uint64_t> announced;
  std::vector<bool> final_when_announced;
  ring.set_on_finished([&](const FileRecord& r) {
    announced.push_back(r.sequence);
    final_when_announced.push_back(fs::exists(dir.path() + "/ring/" + r.file));
  });
  ring.open();
  for (int f = 0; f < 20; ++f) write_file_in_batches(ring, 2, 10, [] {});
  ring.flush();
  ASSERT_EQ(announced.size(), 20u);
  for (std::uint64_t i = 0; i < 20; ++i) EXPECT_EQ(announced[i], i);
  EXPECT_EQ(std::count(final_when_announced.begin(), final_when_announced.end(), true), 20);
}

// A real full disk: a 1 MiB tmpfs. The ring deletes its oldest files to continue and
// counts what it could not write; it never stops.
TEST_F(RingTest, FullDiskDeletesOldestAndCountsLostPackets) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  std::string mnt = mount_small_tmpfs("size=256k");
  ASSERT_FALSE(mnt.empty()) << errno_text(errno);
  auto o = options(1000);
  o.file_size_bytes = 100'000;
  Ring ring(o);
  ring.open();
  for (int i = 0; i < 12; ++i) write_file(ring, 400);  // 46 KB each, 550 KB in all
  EXPECT_GT(ring.counters().files_deleted, 0u);
  EXPECT_GE(ring.counters().files_finished, 10u);
  for (const auto& n : names()) {
    FileScan scan;
    std::string error;
    ASSERT_TRUE(scan_capture_file(mnt + "/" + n, &scan, &error)) << n << ": " << error;
    EXPECT_TRUE(scan.complete()) << n;
  }
  // One file bigger than the whole disk: written as far as possible, the rest counted lost.
  RecordBatch big(1 << 20);
  big.file_header = encode_file_header(stream);
  for (int i = 0; i < 3000; ++i) {
    big.size += encode_record(stream, big.data.get() + big.size, t, 100, 100, payload);
    ++big.packets;
  }
  big.closes_file = true;
  ring.write_batch(big);
  EXPECT_EQ(ring.counters().packets_lost, 3000u);
  EXPECT_GT(ring.counters().write_errors, 0u);
}

// The file system's free space is a limit of its own: a 1 MiB tmpfs with 500 KB to keep free.
TEST_F(RingTest, MinimumFreeSpaceDeletesOldestBeforeTheDiskFills) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  std::string mnt = mount_small_tmpfs("size=1m");
  ASSERT_FALSE(mnt.empty()) << errno_text(errno);
  auto o = options(1000);
  o.file_size_bytes = 100'000;
  o.limits.min_free_bytes = 500'000;
  Ring ring(o);
  ring.open();
  for (int i = 0; i < 20; ++i) {
    write_file(ring, 700);  // 81 KB each
    struct statvfs st {};
    ASSERT_EQ(statvfs(mnt.c_str(), &st), 0);
    EXPECT_GE(static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize + 100'000, 500'000u) << "after file " << i;
  }
  EXPECT_GT(ring.counters().files_deleted, 10u);
  EXPECT_EQ(ring.counters().packets_lost, 0u);  // room was made before it was needed
  EXPECT_EQ(ring.counters().write_errors, 0u);
}

}  // namespace
}  // namespace pcap_ring
