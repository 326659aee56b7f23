#include "hooks/hook_trust.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hooks/stage_list.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

constexpr uid_t kNobody = 65534;

class HookTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(hooks());
    ::chmod(hooks().c_str(), 0755);
  }
  std::string hooks() { return dir.file("hooks.d"); }
  std::string hook(const std::string& name, mode_t mode = 0755) {
    std::string path = hooks() + "/" + name;
    std::ofstream(path) << "#!/bin/sh\nexit 0\n";
    ::chmod(path.c_str(), mode);
    return path;
  }
  testing::TempDir dir;
};

TEST(HookNames, RunPartsNamingOnly) {
  EXPECT_TRUE(is_run_parts_name("10-s3"));
  EXPECT_TRUE(is_run_parts_name("post-rotate"));
  EXPECT_TRUE(is_run_parts_name("a_B-9"));
  for (const char* bad : {"", "20-x.disabled", "30-y.bak", "40-z.orig", "90 space", "a;$(id)", "../att/x",
                          "..", ".hidden", "x~", "10-s3.dpkg-old", "a/b"})
    EXPECT_FALSE(is_run_parts_name(bad)) << bad;
}

TEST_F(HookTrustTest, ListingSkipsBadNamesAndRefusesUntrustedHooks) {
  hook("10-good");
  hook("20-x.disabled");
  hook("30-y.bak");
  hook("40-z.orig");
  hook("90 space");
  hook("a;$(id)");
  hook("50-world-writable", 0777);
  hook("55-group-writable", 0775);
  std::string foreign = hook("60-nobody");
  ASSERT_EQ(::chown(foreign.c_str(), kNobody, kNobody), 0);
  std::string elsewhere = dir.file("other-users-file");
  std::ofstream(elsewhere) << "#!/bin/sh\nexit 0\n";
  ::chmod(elsewhere.c_str(), 0755);
  ASSERT_EQ(::chown(elsewhere.c_str(), kNobody, kNobody), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), (hooks() + "/70-link").c_str()), 0);
  std::string mine = dir.file("my-file");
  std::ofstream(mine) << "#!/bin/sh\nexit 0\n";
  ::chmod(mine.c_str(), 0755);
  ASSERT_EQ(::symlink(mine.c_str(), (hooks() + "/80-good-link").c_str()), 0);

  EXPECT_EQ(list_hook_executables(hooks()), (std::vector<std::string>{"10-good", "80-good-link"}));
  EXPECT_NE(untrusted_hook(hooks() + "/50-world-writable").find("writable by group or others (mode 0777)"),
            std::string::npos);
  EXPECT_NE(untrusted_hook(foreign).find("owned by uid 65534"), std::string::npos);
  EXPECT_NE(untrusted_hook(hooks() + "/70-link").find("symlink whose target is owned by uid 65534"),
            std::string::npos);
}

TEST_F(HookTrustTest, AWorldWritableHooksDirectoryRunsNothing) {
  hook("10-good");
  ::chmod(hooks().c_str(), 0777);
  EXPECT_TRUE(list_hook_executables(hooks()).empty());
  EXPECT_FALSE(untrusted_hooks_dir(hooks()).empty());
  ::chmod(hooks().c_str(), 0755);
  ASSERT_EQ(::chown(hooks().c_str(), kNobody, kNobody), 0);
  EXPECT_TRUE(list_hook_executables(hooks()).empty());
}

TEST_F(HookTrustTest, InvocationRefusesAQueuedStageThatIsNotAHooksName) {
  std::string file = dir.file("pcap-t-000001.pcap");
  std::ofstream(file) << "data";
  std::filesystem::create_directories(dir.file("att"));
  std::ofstream(dir.file("att/x")) << "#!/bin/sh\ntouch " << dir.file("ran") << "\n";
  ::chmod(dir.file("att/x").c_str(), 0755);
  StageContext ctx;
  ctx.hooks_dir = hooks();
  HookInvocation inv;
  std::string why;
  FileRecord record{"pcap-t-000001.pcap", 1, 0, 0, 0, 4, 0};
  EXPECT_FALSE(build_invocation(ctx, "../att/x", file, record, 1, &inv, &why));
  EXPECT_NE(why.find("not a hooks.d name"), std::string::npos) << why;
  EXPECT_FALSE(build_invocation(ctx, "99-gone", file, record, 1, &inv, &why));
  hook("10-good");
  EXPECT_TRUE(build_invocation(ctx, "10-good", file, record, 1, &inv, &why)) << why;
  // The finished file replaced by a symlink is not handed to hooks.
  std::filesystem::remove(file);
  ASSERT_EQ(::symlink("/etc/shadow", file.c_str()), 0);
  EXPECT_FALSE(build_invocation(ctx, "10-good", file, record, 1, &inv, &why));
}

}  // namespace
}  // namespace pcap_ring
