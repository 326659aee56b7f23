#include "stages/suricata_stage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "common/exit_codes.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using State = SuricataReply::State;
using Env = std::map<std::string, std::string>;

TEST(SuricataReplyTest, PartialRepliesAreIncomplete) {
  EXPECT_EQ(parse_suricata_reply("").state, State::kIncomplete);
  EXPECT_EQ(parse_suricata_reply(" \n").state, State::kIncomplete);
  EXPECT_EQ(parse_suricata_reply("{").state, State::kIncomplete);
  EXPECT_EQ(parse_suricata_reply("{\"return\": \"O").state, State::kIncomplete);
  EXPECT_EQ(parse_suricata_reply("{\"return\": \"OK\"").state, State::kIncomplete);
}

TEST(SuricataReplyTest, OkWithOrWithoutNewline) {
  auto r = parse_suricata_reply("{\"return\":\"OK\",\"message\":\"0.2\"}");
  EXPECT_EQ(r.state, State::kOk);
  EXPECT_EQ(r.message, "0.2");
  r = parse_suricata_reply("{\"return\": \"OK\", \"message\": \"Successfully added file to list\"}\n");
  EXPECT_EQ(r.state, State::kOk);
  EXPECT_EQ(r.message, "Successfully added file to list");
  EXPECT_EQ(parse_suricata_reply("{\"return\":\"OK\"}").state, State::kOk);
}

TEST(SuricataReplyTest, NokCarriesTheMessage) {
  auto r = parse_suricata_reply("{\"return\":\"NOK\",\"message\":\"File does not exist\"}\n");
  EXPECT_EQ(r.state, State::kError);
  EXPECT_EQ(r.message, "File does not exist");
  r = parse_suricata_reply("{\"return\":\"NOK\",\"message\":{\"why\":1}}");
  EXPECT_EQ(r.state, State::kError);
  EXPECT_EQ(r.message, "{\"why\":1}");
  EXPECT_EQ(parse_suricata_reply("{\"return\":\"NOK\"}").message, "NOK");
}

TEST(SuricataReplyTest, GarbageIsMalformed) {
  EXPECT_EQ(parse_suricata_reply("<html>").state, State::kMalformed);
  EXPECT_EQ(parse_suricata_reply("{\"message\":\"x\"}").state, State::kMalformed);
  EXPECT_EQ(parse_suricata_reply("{\"return\":1}").state, State::kMalformed);
  EXPECT_EQ(parse_suricata_reply("{\"return\":\"MAYBE\"}").state, State::kMalformed);
  EXPECT_EQ(parse_suricata_reply("[1,2]").state, State::kMalformed);
  EXPECT_EQ(parse_suricata_reply("{\"return\":\"OK\"} {\"return\"").state, State::kMalformed);
}

TEST(SuricataRequestTest, ExactRequests) {
  EXPECT_EQ(suricata_version_request(), "{\"version\":\"0.2\"}");
  std::string req = suricata_pcap_file_request("/var/lib/pc/a \"b\".pcap", "/var/log/s");
  ASSERT_FALSE(req.empty());
  EXPECT_EQ(req.back(), '\n');
  auto j = nlohmann::json::parse(req);
  EXPECT_EQ(j["command"], "pcap-file");
  EXPECT_EQ(j["arguments"]["filename"], "/var/lib/pc/a \"b\".pcap");
  EXPECT_EQ(j["arguments"]["output-dir"], "/var/log/s");
}

class SuricataSettingsTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) { std::ofstream(dir.file(name)) << text; }
  SuricataFlags flags() {
    SuricataFlags f;
    f.config_dir = dir.path();
    return f;
  }
  ExitCode error_code(const SuricataFlags& f, const Env& env, std::string* message) {
    try {
      load_suricata_settings(f, "eth0", env);
    } catch (const StartupError& e) {
      *message = e.what();
      return e.code();
    }
    return kExitOk;
  }
  testing::TempDir dir;
};

TEST_F(SuricataSettingsTest, Defaults) {
  SuricataSettings s = load_suricata_settings(flags(), "eth0", {});
  EXPECT_EQ(s.socket_path, kDefaultSuricataSocket);
  EXPECT_EQ(s.output_dir, "");
  EXPECT_FALSE(s.continuous());
  EXPECT_DOUBLE_EQ(s.timeout_seconds, kDefaultSuricataTimeout);
}

TEST_F(SuricataSettingsTest, Precedence) {
  write("packet-capture.conf",
        "[capture]\nfile_limit = 3\n[suricata]\nsocket = /g.sock\noutput_dir = /g\ntimeout = 5\n"
        "continuous_dir = /gc\n");
  write("eth0.conf", "[suricata]\noutput_dir = /i\ncontinuous_dir =\n");
  SuricataSettings s = load_suricata_settings(flags(), "eth0", {});
  EXPECT_EQ(s.socket_path, "/g.sock");
  EXPECT_EQ(s.output_dir, "/i");
  EXPECT_FALSE(s.continuous()) << "empty value in IFACE.conf resets";
  EXPECT_DOUBLE_EQ(s.timeout_seconds, 5);

  s = load_suricata_settings(flags(), "eth1", {});  // eth1.conf absent
  EXPECT_EQ(s.output_dir, "/g");
  EXPECT_EQ(s.continuous_dir, "/gc");

  Env env = {{"SURICATA_SOCKET", "/e.sock"}, {"SURICATA_CONTINUOUS_DIR", "/ec"}};
  s = load_suricata_settings(flags(), "eth0", env);
  EXPECT_EQ(s.socket_path, "/e.sock");
  EXPECT_EQ(s.continuous_dir, "/ec");

  SuricataFlags f = flags();
  f.socket = "/f.sock";
  f.output_dir = "/f/../f2/";
  f.timeout = "0.5";
  f.continuous_dir = "/fc";
  s = load_suricata_settings(f, "eth0", env);
  EXPECT_EQ(s.socket_path, "/f.sock");
  EXPECT_EQ(s.output_dir, "/f2/");
  EXPECT_EQ(s.continuous_dir, "/fc");
  EXPECT_DOUBLE_EQ(s.timeout_seconds, 0.5);
}

TEST_F(SuricataSettingsTest, ConfigDirFromEnvironmentAndFlag) {
  write("packet-capture.conf", "[suricata]\noutput_dir = /from-env-dir\n");
  SuricataFlags f;  // no --config-dir
  SuricataSettings s = load_suricata_settings(f, "eth0", {{"CONFIG_DIR", dir.path()}});
  EXPECT_EQ(s.output_dir, "/from-env-dir");
  testing::TempDir other;
  f.config_dir = other.path();
  s = load_suricata_settings(f, "eth0", {{"CONFIG_DIR", dir.path()}});
  EXPECT_EQ(s.output_dir, "") << "--config-dir wins over CONFIG_DIR";
}

TEST_F(SuricataSettingsTest, InterfaceNameCannotEscapeTheConfigDir) {
  write("packet-capture.conf", "[suricata]\noutput_dir = /g\n");
  EXPECT_EQ(load_suricata_settings(flags(), "../x", {}).output_dir, "/g");
  EXPECT_EQ(load_suricata_settings(flags(), "", {}).output_dir, "/g");
}

TEST_F(SuricataSettingsTest, RelativeFlagPathsBecomeAbsolute) {
  SuricataFlags f = flags();
  f.output_dir = "out";
  SuricataSettings s = load_suricata_settings(f, "eth0", {});
  EXPECT_EQ(s.output_dir, (std::filesystem::current_path() / "out").string());
}

TEST_F(SuricataSettingsTest, Errors) {
  std::string m;
  write("packet-capture.conf", "[suricata]\n\ntimeout = 0\n");
  EXPECT_EQ(error_code(flags(), {}, &m), kExitConfig);
  EXPECT_NE(m.find("packet-capture.conf:3"), std::string::npos) << m;

  write("packet-capture.conf", "[suricata]\noutput_dir = relative/dir\n");
  EXPECT_EQ(error_code(flags(), {}, &m), kExitConfig);
  EXPECT_NE(m.find("absolute"), std::string::npos) << m;

  write("packet-capture.conf", "[suricata]\nsockett = /x\n");
  EXPECT_EQ(error_code(flags(), {}, &m), kExitConfig);
  EXPECT_NE(m.find("sockett"), std::string::npos) << m;

  write("packet-capture.conf", "");
  EXPECT_EQ(error_code(flags(), {{"SURICATA_SOCKET", "rel.sock"}}, &m), kExitConfig);
  EXPECT_NE(m.find("SURICATA_SOCKET"), std::string::npos) << m;
  EXPECT_EQ(error_code(flags(), {{"SURICATA_SOCKET", "/" + std::string(200, 's')}}, &m), kExitConfig);

  for (const char* bad : {"abc", "-1", "0", "1e9", "nan", "5s"}) {
    SuricataFlags f = flags();
    f.timeout = bad;
    EXPECT_EQ(error_code(f, {}, &m), kExitUsage) << bad;
    EXPECT_NE(m.find("--timeout"), std::string::npos) << m;
  }
}

// ---------------------------------------------------------------------------------------------
// Continuous mode

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ino_t inode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

class ContinuousTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir.file("ring"));
    std::filesystem::create_directory(dir.file("watch"));
    file = dir.file("ring/pcap-eth0-000001.pcap");
    std::ofstream(file, std::ios::binary) << std::string(300000, 'p');
    watch = dir.file("watch");
  }
  testing::TempDir dir;
  std::string file, watch;
};

TEST_F(ContinuousTest, HardLinksAndRetriesAreIdempotent) {
  StageOutcome r = link_into_continuous_dir(file, watch);
  ASSERT_EQ(r.code, 0) << r.message;
  EXPECT_EQ(inode(watch + "/pcap-eth0-000001.pcap"), inode(file));
  r = link_into_continuous_dir(file, watch);
  EXPECT_EQ(r.code, 0) << r.message;
}

TEST_F(ContinuousTest, DifferentFileOfTheSameNameIsNotOverwritten) {
  std::ofstream(watch + "/pcap-eth0-000001.pcap") << "other";
  StageOutcome r = link_into_continuous_dir(file, watch);
  EXPECT_EQ(r.code, kExitFailure) << r.message;
  EXPECT_EQ(read_all(watch + "/pcap-eth0-000001.pcap"), "other");
  // identical bytes under another inode (an earlier copy) count as success
  std::ofstream(watch + "/pcap-eth0-000001.pcap", std::ios::binary | std::ios::trunc) << read_all(file);
  r = link_into_continuous_dir(file, watch);
  EXPECT_EQ(r.code, 0) << r.message;
}

TEST_F(ContinuousTest, MissingPieces) {
  EXPECT_EQ(link_into_continuous_dir(dir.file("ring/absent.pcap"), watch).code, kExitFailure);
  EXPECT_EQ(link_into_continuous_dir(file, dir.file("nowhere")).code, kExitConfig);
  EXPECT_EQ(link_into_continuous_dir(dir.file("ring"), watch).code, kExitFailure);
}

// Copies need a second filesystem: /dev/shm (tmpfs) when it differs from the temp dir's.
class ContinuousCopyTest : public ContinuousTest {
 protected:
  void SetUp() override {
    ContinuousTest::SetUp();
    struct stat a {}, b {};
    if (::stat("/dev/shm", &b) != 0 || ::stat(dir.path().c_str(), &a) != 0 || a.st_dev == b.st_dev)
      GTEST_SKIP() << "no second filesystem at /dev/shm";
    char tmpl[] = "/dev/shm/pc-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    shm = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!shm.empty()) std::filesystem::remove_all(shm, ec);
  }
  std::string shm;
};

TEST_F(ContinuousCopyTest, CopiesAcrossFilesystemsViaTmpfile) {
  StageOutcome r = link_into_continuous_dir(file, shm);
  ASSERT_EQ(r.code, 0) << r.message;
  std::string target = shm + "/pcap-eth0-000001.pcap";
  EXPECT_EQ(read_all(target), read_all(file));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(shm), {}), 1) << "only the file itself";
  r = link_into_continuous_dir(file, shm);
  EXPECT_EQ(r.code, 0) << r.message;
}

TEST_F(ContinuousCopyTest, FallbackCopiesThroughAHiddenDirectory) {
  StageOutcome r = link_into_continuous_dir(file, shm, /*allow_tmpfile=*/false);
  ASSERT_EQ(r.code, 0) << r.message;
  EXPECT_EQ(read_all(shm + "/pcap-eth0-000001.pcap"), read_all(file));
  // the staging directory is left empty; nothing but it and the file in the watched dir
  EXPECT_TRUE(std::filesystem::is_empty(shm + "/.packet-capture.tmp"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(shm), {}), 2);
  // a conflicting name is not replaced and the temporary copy is removed
  std::ofstream(shm + "/pcap-eth0-000002.pcap") << "other";
  std::string second = dir.file("ring/pcap-eth0-000002.pcap");
  std::ofstream(second) << "mine";
  r = link_into_continuous_dir(second, shm, false);
  EXPECT_EQ(r.code, kExitFailure) << r.message;
  EXPECT_EQ(read_all(shm + "/pcap-eth0-000002.pcap"), "other");
  EXPECT_TRUE(std::filesystem::is_empty(shm + "/.packet-capture.tmp"));
}

TEST(SuricataSocketTest, AbsentSocketIsTempFail) {
  testing::TempDir dir;
  SuricataSettings s;
  s.socket_path = dir.file("absent.sock");
  s.output_dir = dir.path();
  StageOutcome r = submit_to_suricata_socket(dir.file("f.pcap"), s);
  EXPECT_EQ(r.code, kExitTempFail);
  EXPECT_NE(r.message.find("absent.sock"), std::string::npos) << r.message;
}

// The fallback decision: a filesystem without O_TMPFILE sends the copy through the hidden
// directory; real local errors end the hand-over with their own status.
TEST(SuricataTmpfileTest, UnsupportedFilesystemsFallBackOtherErrorsFail) {
  for (int err : {EOPNOTSUPP, EISDIR, EINVAL, ENOENT})
    EXPECT_TRUE(std::holds_alternative<TmpfileUnsupported>(tmpfile_failure(err, "/w"))) << err;
  auto full = tmpfile_failure(ENOSPC, "/w");
  ASSERT_TRUE(std::holds_alternative<StageOutcome>(full));
  EXPECT_EQ(std::get<StageOutcome>(full).code, kExitTempFail);
  EXPECT_NE(std::get<StageOutcome>(full).message.find("/w"), std::string::npos);
  EXPECT_EQ(std::get<StageOutcome>(tmpfile_failure(EACCES, "/w")).code, kExitConfig);
  EXPECT_EQ(std::get<StageOutcome>(tmpfile_failure(EIO, "/w")).code, kExitFailure);
}

TEST(SuricataStageTest, SettingsThatCannotWorkGiveConfigThroughTheRunner) {
  testing::TempDir dir;
  std::string file = dir.file("pcap-eth0-000001.pcap");
  std::ofstream(file) << "x";
  HookFileInfo info;
  info.path = file;
  SuricataSettings s;  // socket mode without output_dir
  EXPECT_EQ(run_suricata_stage(info, s), kExitConfig);
  s.continuous_dir = dir.file("absent");
  EXPECT_EQ(run_suricata_stage(info, s), kExitConfig);
  info.path = dir.file("missing.pcap");
  EXPECT_EQ(run_suricata_stage(info, s), kExitFailure);
}

}  // namespace
}  // namespace pcap_ring
