#include "service/heartbeat.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

TEST(Heartbeats, HealthyOnlyWhenBothLoopsProgressed) {
  Heartbeats h;
  EXPECT_FALSE(h.healthy_since_last_check(true));  // nothing beat yet
  h.capture_beat();
  h.writer_beat();
  EXPECT_TRUE(h.healthy_since_last_check(false));
  EXPECT_FALSE(h.healthy_since_last_check(true));  // capture loop wedged
  h.capture_beat();
  EXPECT_FALSE(h.healthy_since_last_check(false));  // writer wedged with work waiting
  h.capture_beat();
  EXPECT_TRUE(h.healthy_since_last_check(true));  // writer idle: nothing to write is fine
}

}  // namespace
}  // namespace pcap_ring
