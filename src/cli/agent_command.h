// `packet-capture agent`: answers capture requests from the Redis bus (agent/agent_service.h);
// `packet-capture agent status`: what it accepted and how each request ended, from its journal.
// Both, and `packet-capture request`, read the [agent] and [redis] settings the same way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/hook_stage_command.h"
#include "config/agent_settings.h"
#include "stages/s3_client.h"

namespace pcap_ring {

// Adds the agent's settings flags (and --config-dir) to `cmd`.
std::shared_ptr<StageCommandLine> add_agent_settings_flags(CLI::App* cmd);
// The settings from every layer; throws ConfigError/UsageError naming a bad value.
AgentSettings load_agent_settings(const StageCommandLine& line);
// The Redis password: the credential "redis-password", else [redis] password_file; "" when
// neither is set (no AUTH).
std::string redis_password(const AgentSettings& settings);
// The node's name: [agent] node, else the host name.
std::string agent_node_name(const AgentSettings& settings);
// The SQS bus's AWS key: credentials sqs-access-key-id and sqs-secret-access-key, or the files.
S3Credentials sqs_credentials(const AgentSettings& settings);

// `agent status` first: it must be matched before `agent` itself.
std::vector<Subcommand> add_agent_commands(CLI::App& app);

}  // namespace pcap_ring
