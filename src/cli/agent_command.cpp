#include "cli/agent_command.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include "service/agent_service.h"
#include "agent/request_journal.h"
#include "cli/capture_flags.h"
#include "common/environment.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "config/stage_settings.h"
#include "service/signal_reader.h"
#include "stages/s3_stage.h"
#include "stages/secrets.h"

namespace pcap_ring {
namespace {

constexpr const char* kConfigDirHelp = "Directory of packet-capture.conf, agent.conf and IFACE.conf";

// An interface's rings, where its capture configuration puts them (the INI files; the
// agent does not see the Environment= of each capture unit).
std::vector<CatalogRing> rings_of(const std::string& config_dir, const std::string& interface_name, std::string* error) {
  try {
    RawSettings raw;
    raw.values["interface"] = interface_name;
    raw.values["config_dir"] = config_dir;
    CaptureConfig config = load_capture_config(raw, Environment{});
    std::string why;
    std::vector<CatalogRing> rings = catalog_rings(config.output_dir, config.prefix, interface_name, &why);
    if (rings.empty()) *error = why.empty() ? "no ring in " + config.output_dir : why;
    return rings;
  } catch (const std::exception& e) {
    *error = e.what();
    return {};
  }
}

int run_agent_command(const StageCommandLine& line) {
  AgentSettings settings = load_agent_settings(line);
  AgentIdentity identity{agent_node_name(settings), settings.bus == "redis" ? redis_password(settings) : "", {}};
  if (settings.bus == "sqs") {
    if (settings.sqs_queue_url.empty() || settings.sqs_reply_queue_url.empty())
      throw ConfigError("bus = sqs needs queue_url and reply_queue_url in [sqs] (this node's queue, the answers' queue)");
    identity.aws = sqs_credentials(settings);
  }
  TrustedKeys keys;
  std::string error;
  if (!TrustedKeys::load(settings.trusted_keys_dir, &keys, &error)) {
    if (!settings.allow_unsigned) throw ConfigError("trusted keys: " + error);
    log::warning("trusted keys: " + error + "; only unsigned requests can be accepted");
  }
  // [s3] in packet-capture.conf or agent.conf with a bucket makes "s3" a destination.
  AgentDestinations destinations;
  const Environment environment = current_environment();
  std::map<std::string, std::string> s3_flags;
  if (line.config_dir_option->count() > 0) s3_flags["config_dir"] = line.config_dir;
  S3Settings s3 = load_stage_settings<S3Settings>(s3_flags, "agent", environment);
  if (!s3.bucket.empty()) {
    destinations.s3_credentials.access_key_id =
        read_secret({"s3-access-key-id", s3.access_key_id_file, "[s3] access_key_id_file"}, environment);
    destinations.s3_credentials.secret_access_key =
        read_secret({"s3-secret-access-key", s3.secret_access_key_file, "[s3] secret_access_key_file"}, environment);
    destinations.s3 = std::move(s3);
  }
  CloudSharkSettings cloudshark = load_stage_settings<CloudSharkSettings>(s3_flags, "agent", environment);
  if (!cloudshark.url.empty()) {
    destinations.cloudshark_token =
        read_secret({"cloudshark-token", cloudshark.token_file, "[cloudshark] token_file"}, environment);
    destinations.cloudshark = std::move(cloudshark);
  }
  if (settings.default_destination == "cloudshark" && !destinations.cloudshark)
    throw ConfigError("default_destination = cloudshark: no url in [cloudshark] of packet-capture.conf or agent.conf");
  if (settings.default_destination == "s3" && !destinations.s3)
    throw ConfigError("default_destination = s3: no bucket in [s3] of packet-capture.conf or agent.conf");
  SignalReader signals;  // before any thread: they all inherit the blocked signals
  std::atomic<bool> stop{false};
  std::thread signal_thread([&] {
    while (!stop) {
      pollfd p{signals.fd(), POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      while (auto signal = signals.next()) {
        if (*signal == SIGTERM || *signal == SIGINT) {
          log::notice(std::string("stopping on ") + (*signal == SIGTERM ? "SIGTERM" : "SIGINT"));
          stop = true;
        }
      }
    }
  });
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~JoinOnExit() {
      stop = true;
      thread.join();
    }
  } join{stop, signal_thread};
  const std::string config_dir = settings.config_dir;
  RingLocator locate = [config_dir](const std::string& interface_name, std::string* why) {
    return rings_of(config_dir, interface_name, why);
  };
  return run_agent(settings, identity, std::move(keys), destinations, locate, stop);
}

int run_agent_status(const StageCommandLine& line, bool json) {
  AgentSettings settings = load_agent_settings(line);
  RequestJournal journal;
  const std::string directory = settings.state_dir + "/journal";
  if (::access(directory.c_str(), F_OK) != 0) {
    if (json) std::cout << "[]\n";
    else std::cout << "no requests recorded in " << directory << "\n";
    return kExitOk;
  }
  if (int err = journal.open(directory)) throw ConfigError("cannot open " + directory + ": " + errno_text(err));
  std::vector<std::string> problems;
  std::vector<JournalEntry> entries = journal.entries(&problems);
  for (const auto& problem : problems) log::warning("request journal: " + problem);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries)
      out.push_back({{"id", e.id}, {"state", journal_state_name(e.state)}, {"accepted_at", format_rfc3339_ns(e.accepted_at)},
                     {"from", format_rfc3339_ns(e.from)}, {"to", format_rfc3339_ns(e.to)}, {"reply_to", e.reply_to},
                     {"answers", e.answers}});
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::cout << "node " << agent_node_name(settings) << ": " << entries.size() << " requests in " << directory << "\n";
  for (const auto& e : entries) {
    std::cout << e.id << "  " << journal_state_name(e.state) << "  accepted " << format_rfc3339_ns(e.accepted_at)
              << "  window " << format_rfc3339_ns(e.from) << " to " << format_rfc3339_ns(e.to) << "\n";
    for (const auto& a : e.answers)
      std::cout << "    " << a.value("interface", "-") << "  " << a.value("state", "?") << "  "
                << a.value("packets", std::uint64_t{0}) << " packets  " << a.value("bytes", std::uint64_t{0})
                << " bytes  " << a.value("result", a.value("reason", std::string())) << "\n";
  }
  return kExitOk;
}

}  // namespace

std::shared_ptr<StageCommandLine> add_agent_settings_flags(CLI::App* cmd) {
  return add_stage_flags(cmd, settings_for<AgentSettings>(), kConfigDirHelp, /*config_dir_first=*/true,
                         /*with_file=*/false);
}

AgentSettings load_agent_settings(const StageCommandLine& line) {
  AgentSettings settings = load_stage_settings<AgentSettings>(line.flags(), "agent", current_environment());
  for (const auto& [section, tls] : {std::pair<const char*, const TlsClientSettings*>{"redis", &settings.redis_tls},
                                     {"kafka", &settings.kafka_tls}}) {
    // Without tls = yes these would be ignored, and the password sent in the clear.
    if (!tls->enabled && (!tls->ca_file.empty() || !tls->cert_file.empty() || !tls->key_file.empty() ||
                          !tls->server_name.empty()))
      throw ConfigError(std::string("[") + section + "] tls_* settings are given but tls is not yes");
    if (tls->cert_file.empty() != tls->key_file.empty())
      throw ConfigError(std::string("[") + section +
                        "] tls_cert_file and tls_key_file: give both (a client certificate and its key) or neither");
    struct stat st {};
    if (!tls->key_file.empty() && ::stat(tls->key_file.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0)
      throw ConfigError(std::string("[") + section + "] tls_key_file '" + tls->key_file +
                        "': readable by every user; expected mode 0600 or 0640");
  }
  return settings;
}

std::string redis_password(const AgentSettings& settings) {
  Environment environment = current_environment();
  auto dir = environment.find("CREDENTIALS_DIRECTORY");
  const bool credential = dir != environment.end() && !dir->second.empty() &&
                          ::access((dir->second + "/redis-password").c_str(), F_OK) == 0;
  if (!credential && settings.redis_password_file.empty()) return "";
  return read_secret(SecretSpec{"redis-password", settings.redis_password_file, "[redis] password_file"}, environment);
}

S3Credentials sqs_credentials(const AgentSettings& settings) {
  const Environment environment = current_environment();
  return {read_secret({"sqs-access-key-id", settings.sqs_access_key_id_file, "[sqs] access_key_id_file"}, environment),
          read_secret({"sqs-secret-access-key", settings.sqs_secret_access_key_file, "[sqs] secret_access_key_file"},
                      environment)};
}

std::string agent_node_name(const AgentSettings& settings) {
  return settings.node.empty() ? local_host_name() : settings.node;
}

std::vector<Subcommand> add_agent_commands(CLI::App& app) {
  CLI::App* agent = app.add_subcommand("agent", "Answer capture requests from the Redis, Kafka or SQS bus with cuts of the rings");
  auto line = add_agent_settings_flags(agent);
  agent->footer(
      "Settings: [agent] and [redis] in CONFIG_DIR/packet-capture.conf and CONFIG_DIR/agent.conf, then AGENT_NODE,\n"
      "REDIS_HOST, REDIS_PORT, REDIS_USER, then flags. Redis password: the systemd credential redis-password, else\n"
      "[redis] password_file (a root-only file). Requests must be signed by a key in trusted_keys_dir.\n"
      "Exit status: 0 stopped, 78 bad settings or keys, 73 state directory unusable, 64 bad flags.");
  CLI::App* status = agent->add_subcommand("status", "The requests this node accepted and how each ended");
  auto status_line = add_agent_settings_flags(status);
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "One JSON array");
  return {{status, [status_line, json] { return run_agent_status(*status_line, *json); }},
          {agent, [line] { return run_agent_command(*line); }}};
}

}  // namespace pcap_ring
