#include "capture/read_failure.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

TEST(ReadFailure, TruncationIsToldFromDamage) {
  EXPECT_TRUE(is_truncated_last_record("truncated dump file; tried to read 60 captured bytes, only got 50"));
  EXPECT_TRUE(is_truncated_last_record("truncated pcapng dump file; tried to read 28 bytes, only got 3"));
  EXPECT_FALSE(is_truncated_last_record("invalid packet capture length 2147483632, bigger than maximum of 262144"));
  EXPECT_FALSE(is_truncated_last_record("block total length 7 is < 12"));
}

}  // namespace
}  // namespace pcap_ring
