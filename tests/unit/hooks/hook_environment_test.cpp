#include "hooks/hook_environment.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

std::map<std::string, std::string> as_map(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& e : env) {
    auto eq = e.find('=');
    out[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return out;
}

TEST(HookEnvironment, WhatThePipelineWritesAStageReads) {
  FileRecord file{"pcap-eth0-000042.pcap", 42, 1'700'000'000'000000000LL, 1'700'000'001'500000000LL, 3, 300, 2};
  auto env = as_map(hook_environment(hook_file_info("/ring/pcap-eth0-000042.pcap", "eth0", file, 2)));
  EXPECT_EQ(env.size(), 9u);
  EXPECT_EQ(env["PCAP_FILE"], "/ring/pcap-eth0-000042.pcap");
  EXPECT_EQ(env["PCAP_FIRST_TIME"], "2023-11-14T22:13:20.000000000Z");
  HookFileInfo info = hook_file_info_from_environment("/ring/pcap-eth0-000042.pcap", env);
  EXPECT_EQ(info.interface_name, "eth0");
  EXPECT_EQ(info.sequence, 42u);
  EXPECT_EQ(info.packets, 3u);
  EXPECT_EQ(info.bytes, 300u);
  EXPECT_EQ(info.first_time, "2023-11-14T22:13:20.000000000Z");
  EXPECT_EQ(info.last_time, "2023-11-14T22:13:21.500000000Z");
  EXPECT_EQ(info.dropped, 2u);
  EXPECT_EQ(info.attempt, 2u);
}

TEST(HookEnvironment, ByHandTheNameGivesInterfaceAndSequence) {
  testing::TempDir dir;
  std::string path = dir.file("cap-br-lan-000007.pcapng");
  testing::write_text_file(path, "12345");
  HookFileInfo info = hook_file_info_from_environment(path, {});
  EXPECT_EQ(info.interface_name, "br-lan");
  EXPECT_EQ(info.sequence, 7u);
  EXPECT_EQ(info.bytes, 5u);
  EXPECT_EQ(info.attempt, 1u);
  info = hook_file_info_from_environment(dir.file("notes.pcap"), {});
  EXPECT_EQ(info.interface_name, "");
  EXPECT_EQ(info.sequence, 0u);
}

TEST(HookEnvironment, OnlyPcapEntriesBelongToThePipeline) {
  EXPECT_TRUE(is_hook_environment_entry("PCAP_FILE=/x"));
  EXPECT_FALSE(is_hook_environment_entry("PATH=/bin"));
}

}  // namespace
}  // namespace pcap_ring
