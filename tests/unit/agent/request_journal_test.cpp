#include "agent/request_journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::TempDir;
using testing::write_text_file;

constexpr NanoTime kNow = 1'796'032'800 * kNanosPerSecond;

JournalEntry entry(const std::string& id, NanoTime accepted_at) {
  JournalEntry e;
  e.id = id;
  e.message = BusMessage{R"({"id":")" + id + R"("})", "ops", "ed25519", "c2lnbmF0dXJl"};
  e.accepted_at = accepted_at;
  e.from = accepted_at - 60 * kNanosPerSecond;
  e.to = accepted_at;
  e.reply_to = "pcap:ack";
  return e;
}

TEST(RequestJournal, EntriesSurviveAReopenWithEveryStep) {
  TempDir dir;
  const std::string path = dir.file("journal");
  {
    RequestJournal journal;
    ASSERT_EQ(journal.open(path), 0);
    JournalEntry e = entry("r-2", kNow + 1);
    ASSERT_EQ(journal.save(e), 0);
    ASSERT_EQ(journal.save(entry("r-1", kNow)), 0);
    e.state = JournalEntry::State::kFinal;
    e.answers = {{{"id", "r-2"}, {"state", "done"}, {"packets", 12}}};
    ASSERT_EQ(journal.save(e), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the journal holds request bodies: the agent's own";
  RequestJournal journal;
  ASSERT_EQ(journal.open(path), 0);
  std::vector<std::string> problems;
  auto all = journal.entries(&problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "r-1") << "oldest first";
  EXPECT_EQ(all[0].state, JournalEntry::State::kRunning);
  EXPECT_EQ(all[0].message.body, R"({"id":"r-1"})");
  EXPECT_EQ(all[0].message.signature, "c2lnbmF0dXJl");
  EXPECT_EQ(all[1].state, JournalEntry::State::kFinal);
  ASSERT_EQ(all[1].answers.size(), 1u);
  EXPECT_EQ(all[1].answers[0]["packets"], 12);
  EXPECT_EQ(all[1].from, kNow + 1 - 60 * kNanosPerSecond);
}

TEST(RequestJournal, AFileThatDoesNotParseIsReportedAndLeftAlone) {
  TempDir dir;
  RequestJournal journal;
  ASSERT_EQ(journal.open(dir.file("journal")), 0);
  ASSERT_EQ(journal.save(entry("good", kNow)), 0);
  write_text_file(dir.file("journal") + "/broken.json", "{\"id\": \"broken\", \"state\": 7");
  write_text_file(dir.file("journal") + "/other.json", R"({"id":"not-other","state":"running"})");
  std::vector<std::string> problems;
  auto all = journal.entries(&problems);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "good");
  ASSERT_EQ(problems.size(), 2u);
  std::string error;
  EXPECT_FALSE(journal.load("broken", &error));
  EXPECT_NE(error.find("broken.json"), std::string::npos) << error;
  EXPECT_FALSE(journal.load("../escape", &error)) << "an id is a file name only when it is a valid id";
  EXPECT_EQ(journal.save(entry("../escape", kNow)), EINVAL);
}

TEST(RequestJournal, PruneRemovesOnlyOldAnsweredEntries) {
  TempDir dir;
  RequestJournal journal;
  ASSERT_EQ(journal.open(dir.file("journal")), 0);
  JournalEntry old_answered = entry("old", kNow - 10 * 86400 * kNanosPerSecond);
  old_answered.state = JournalEntry::State::kAnswered;
  JournalEntry old_running = entry("old-running", kNow - 10 * 86400 * kNanosPerSecond);
  JournalEntry recent = entry("recent", kNow);  // accepted now, for a window a month ago
  recent.state = JournalEntry::State::kAnswered;
  recent.to = kNow - 30 * 86400 * kNanosPerSecond;
  recent.from = recent.to - 60 * kNanosPerSecond;
  for (const auto& e : {old_answered, old_running, recent}) ASSERT_EQ(journal.save(e), 0);
  journal.prune(kNow, 7 * 86400 * kNanosPerSecond);
  std::vector<std::string> problems;
  std::vector<std::string> ids;
  for (const auto& e : journal.entries(&problems)) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"old-running", "recent"}));
}

}  // namespace
}  // namespace pcap_ring
