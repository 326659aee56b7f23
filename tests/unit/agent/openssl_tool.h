// Runs the openssl command-line tool for the agent's tests: keys and signatures made the way
// an operator's tooling would make them, independently of the code under test.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace pcap_ring::testing {

// The command's standard output without its trailing newlines; a non-zero exit fails the test.
inline std::string run_tool(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run: " << command;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << command;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace pcap_ring::testing
