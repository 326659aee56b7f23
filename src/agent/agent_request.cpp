#include "agent/agent_request.h"

#include <openssl/sha.h>
#include <regex.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "extract/time_window.h"

namespace pcap_ring {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNesting = 8;   // the format itself is two levels deep
constexpr std::size_t kMaxText = 4096;   // bpf, the longest text field
constexpr std::size_t kMaxShortText = 256;
constexpr std::uint32_t kMaxSnap = 262144;
constexpr std::size_t kInterfaceNameMax = 15;  // IFNAMSIZ - 1

// Thrown inside the parser only, to name the first bad field; never leaves this file.
struct FieldError {
  std::string text;
};

[[noreturn]] void bad(const std::string& field, const std::string& what) { throw FieldError{field + ": " + what}; }

// Deep nesting is refused before parsing: the format needs two levels, and a parser's work and
// stack should not depend on what a sender chooses.
bool nesting_too_deep(std::string_view body) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool name_chars(std::string_view s, std::string_view extra) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string text(const json& j, const std::string& field, std::size_t max) {
  if (!j.is_string()) bad(field, "expected a string");
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max) bad(field, "longer than " + std::to_string(max) + " bytes");
  if (!printable(s)) bad(field, "control characters are not allowed");
  return s;
}

std::int64_t integer(const json& j, const std::string& field, std::int64_t low, std::int64_t high) {
  if (!j.is_number_integer()) bad(field, "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high));
  if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(high))
    bad(field, std::to_string(j.get<std::uint64_t>()) + " is over the limit of " + std::to_string(high));
  std::int64_t v = j.get<std::int64_t>();
  if (v < low) bad(field, std::to_string(v) + " is under " + std::to_string(low));
  if (v > high) bad(field, std::to_string(v) + " is over the limit of " + std::to_string(high));
  return v;
}

bool boolean(const json& j, const std::string& field) {
  if (!j.is_boolean()) bad(field, "expected true or false");
  return j.get<bool>();
}

// An instant: RFC 3339 text or Unix seconds (a number, or text).
NanoTime instant(const json& j, const std::string& field) {
  if (j.is_number()) {
    double seconds = j.get<double>();
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 9.2e9) bad(field, "expected Unix seconds from 0 to 9200000000");
    if (j.is_number_integer()) return static_cast<NanoTime>(j.get<std::int64_t>()) * kNanosPerSecond;
    return static_cast<NanoTime>(std::llround(seconds * 1e9));
  }
  auto t = parse_time_argument(text(j, field, 64));
  if (!t) bad(field, "'" + j.get<std::string>() + "' is not an RFC 3339 time or Unix seconds");
  return *t;
}

// glibc's regcomp copies the expression under a repetition for each one applied to it:
// "a+++…" or "((a+)+)+" grows exponentially and exhausts memory (found by the fuzz target).
// A node pattern needs neither stacked repetitions nor a repeated group.
constexpr int kMaxRegexRepetitions = 8;
bool modest_regex(const std::string& re) {
  int repetitions = 0;
  char previous = 0;
  bool in_bracket = false;
  for (std::size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (in_bracket) {
      if (c == ']' && previous != '[' && !(previous == '^' && i >= 2 && re[i - 2] == '[')) in_bracket = false;
      previous = c;
      continue;
    }
    if (c == '[') in_bracket = true;
    if (c == '*' || c == '+' || c == '?') {
      if (++repetitions > kMaxRegexRepetitions || previous == '*' || previous == '+' || previous == '?' ||
          previous == ')')
        return false;
    }
    previous = c;
  }
  return true;
}

std::int64_t seconds(const json& j, const std::string& field, std::int64_t high) { return integer(j, field, 1, high); }

// A list of names: an array of strings, or one string (older pcapdaemon messages), or, with
// `comma_list`, one string of comma-separated names (pcapdaemon's tags).
std::vector<std::string> names(const json& j, const std::string& field, const AgentRequestLimits& limits,
                               bool comma_list, std::size_t max_name, std::string_view extra_chars) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (name.empty()) bad(field, "an empty name");
    if (name.size() > max_name) bad(field, "'" + name + "' is longer than " + std::to_string(max_name) + " bytes");
    if (!name_chars(name, extra_chars) || name == "." || name == "..")
      bad(field, "'" + name + "' has characters other than letters, digits and " + std::string(extra_chars));
    if (out.size() == limits.max_names) bad(field, "more than " + std::to_string(limits.max_names) + " names");
    out.push_back(name);
  };
  if (j.is_string()) {
    const std::string s = text(j, field, kMaxText);
    if (!comma_list) {
      add(s);
    } else {
      std::size_t start = 0;
      while (start <= s.size()) {
        std::size_t comma = s.find(',', start);
        std::string piece = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!piece.empty()) add(piece);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  } else if (j.is_array()) {
    for (const json& item : j) add(text(item, field, max_name));
  } else {
    bad(field, "expected a string or a list of strings");
  }
  return out;
}

std::string hash_id(std::string_view body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string id = "sha256-";
  for (int i = 0; i < 16; ++i) {
    id += hex[digest[i] >> 4];
    id += hex[digest[i] & 15];
  }
  return id;
}

void parse_fields(const json& m, std::string_view body, const AgentRequestLimits& limits, AgentRequest* r) {
  auto has = [&](const char* key) { return m.contains(key) && !m.at(key).is_null(); };
  if (has("v")) r->version = static_cast<int>(integer(m.at("v"), "v", 1, 1));
  if (has("id")) {
    r->id = text(m.at("id"), "id", 128);
    if (!valid_request_id(r->id))
      bad("id", "'" + r->id + "' must be 1-128 letters, digits, '.', '_', ':' or '-', not starting with '.'");
  } else {
    r->id = hash_id(body);  // the same body redelivered keeps its identity
    r->id_generated = true;
  }

  if (has("node") == has("nodere")) bad("node", "give exactly one of node and nodere");
  if (has("node")) {
    r->node = text(m.at("node"), "node", 253);
    if (r->node->empty()) bad("node", "an empty node name");
  } else {
    r->nodere = text(m.at("nodere"), "nodere", limits.max_nodere_length);
    // Bounds such as {255} make the compiled expression grow with their product, and back
    // references make matching exponential: neither is needed to name hosts.
    if (r->nodere->find('{') != std::string::npos || r->nodere->find('\\') != std::string::npos)
      bad("nodere", "'" + *r->nodere + "': bounds ({n}) and backslashes are not allowed");
    if (!modest_regex(*r->nodere))
      bad("nodere", "'" + *r->nodere + "': at most " + std::to_string(kMaxRegexRepetitions) +
                        " of * + ? and none right after another or after a group");
    regex_t compiled;
    if (regcomp(&compiled, r->nodere->c_str(), REG_EXTENDED) != 0)
      bad("nodere", "'" + *r->nodere + "' is not a POSIX extended regular expression");
    regfree(&compiled);
  }

  if (has("interface") == has("alias")) bad("interface", "give exactly one of interface and alias");
  if (has("interface")) {
    r->interfaces = names(m.at("interface"), "interface", limits, false, kInterfaceNameMax, "._-@:");
  } else {
    r->aliases = names(m.at("alias"), "alias", limits, false, 64, "._-");
  }
  if (r->interfaces.empty() && r->aliases.empty()) bad(has("interface") ? "interface" : "alias", "an empty list");

  if (has("bpf")) r->bpf = text(m.at("bpf"), "bpf", kMaxText);
  if (has("snap")) r->snap = static_cast<std::uint32_t>(integer(m.at("snap"), "snap", 1, kMaxSnap));
  auto limit_u64 = [](std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
  };
  if (has("packets")) r->packets = static_cast<std::uint64_t>(integer(m.at("packets"), "packets", 1, limit_u64(limits.max_packets)));
  if (has("bytes")) r->bytes = static_cast<std::uint64_t>(integer(m.at("bytes"), "bytes", 1, limit_u64(limits.max_bytes)));
  if (has("duration")) r->duration_seconds = seconds(m.at("duration"), "duration", limits.max_duration_seconds);
  r->timeout_seconds = has("timeout") ? seconds(m.at("timeout"), "timeout", limits.max_timeout_seconds)
                                      : std::min(limits.default_timeout_seconds, limits.max_timeout_seconds);

  if (has("ts")) r->sent_at = instant(m.at("ts"), "ts");
  const bool window = has("from") || has("to");
  const bool around = has("at") || has("before") || has("after");
  if (window && around) bad("at", "give either from/to or at with before/after, not both");
  if (window) {
    if (!has("from") || !has("to")) bad(has("from") ? "to" : "from", "from and to go together");
    r->from = instant(m.at("from"), "from");
    r->to = instant(m.at("to"), "to");
  } else if (around) {
    if (!has("at")) bad("at", "before/after need at");
    NanoTime at = instant(m.at("at"), "at");
    std::int64_t before = has("before") ? integer(m.at("before"), "before", 0, 366 * 86400) : 0;
    std::int64_t after = has("after") ? integer(m.at("after"), "after", 0, 366 * 86400) : 0;
    NanoTime from = 0;
    NanoTime to = 0;
    if (__builtin_sub_overflow(at, before * kNanosPerSecond, &from) || from < 0)
      bad("before", "the window would start before 1970");
    if (__builtin_add_overflow(at, after * kNanosPerSecond, &to)) bad("after", "the window would end after 2262");
    r->from = from;
    r->to = to;
  }
  if (r->from) {
    if (*r->to <= *r->from) bad(window ? "to" : "after", "the window is empty or reversed");
    if (r->duration_seconds) bad("duration", "a request with a window (from/to or at) has no duration");
  }

  if (has("tags")) r->tags = names(m.at("tags"), "tags", limits, true, 64, "._-:=/ ");
  if (has("customer")) r->customer = text(m.at("customer"), "customer", kMaxShortText);
  if (has("alertid")) {
    const json& a = m.at("alertid");
    if (a.is_number_integer()) r->alertid = a.dump();
    else r->alertid = text(a, "alertid", 128);
  }
  if (has("packetdebug")) r->packetdebug = boolean(m.at("packetdebug"), "packetdebug");
  if (has("logrequest")) r->logrequest = boolean(m.at("logrequest"), "logrequest");

  if (has("destination")) {
    r->destination = text(m.at("destination"), "destination", 64);
    if (r->destination.empty() || !name_chars(r->destination, "._-"))
      bad("destination", "'" + r->destination + "' is not a destination name (letters, digits, '.', '_', '-')");
  }
  if (has("format")) {
    r->format = text(m.at("format"), "format", 16);
    if (r->format != "pcapng" && r->format != "pcap") bad("format", "'" + r->format + "' is not pcapng or pcap");
  }
  if (has("reply_to")) {
    r->reply_to = text(m.at("reply_to"), "reply_to", kMaxShortText);
    if (r->reply_to.empty() || !name_chars(r->reply_to, "._:-/"))
      bad("reply_to", "'" + r->reply_to + "' is not a channel name (letters, digits, '.', '_', ':', '-', '/')");
  }
  if (has("folder")) r->folder = text(m.at("folder"), "folder", kMaxShortText);
  if (has("bucket")) r->bucket = text(m.at("bucket"), "bucket", 63);
  if (has("acl")) r->acl = text(m.at("acl"), "acl", 64);
  if (has("region")) r->region = text(m.at("region"), "region", 64);
  if (has("endpoint")) r->endpoint = text(m.at("endpoint"), "endpoint", kMaxShortText);
  if (has("encryption")) r->encryption = boolean(m.at("encryption"), "encryption");
}

}  // namespace

bool parse_agent_request(std::string_view body, const AgentRequestLimits& limits, AgentRequest* request,
                         std::string* error) {
  if (body.size() > limits.max_message_bytes) {
    *error = "message of " + std::to_string(body.size()) + " bytes is over the limit of " +
             std::to_string(limits.max_message_bytes);
    return false;
  }
  if (nesting_too_deep(body)) {
    *error = "message nests deeper than " + std::to_string(kMaxNesting) + " levels";
    return false;
  }
  json message = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    *error = "message is not JSON";
    return false;
  }
  if (!message.is_object()) {
    *error = "message is not a JSON object";
    return false;
  }
  AgentRequest parsed;
  try {
    parse_fields(message, body, limits, &parsed);
  } catch (const FieldError& e) {
    *error = e.text;
    return false;
  }
  *request = std::move(parsed);
  return true;
}

bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && id[0] != '.' && name_chars(id, "._:-");
}

bool request_names_node(const AgentRequest& request, const std::string& node_name) {
  if (request.node) return *request.node == "any" || *request.node == node_name;
  if (!request.nodere) return false;
  regex_t compiled;
  if (regcomp(&compiled, request.nodere->c_str(), REG_EXTENDED) != 0) return false;
  // POSIX matching is leftmost-longest: a match of the whole name exists exactly when the
  // match found spans it. (Wrapping the text in ^( )$ would let "a)|(.*" escape the anchors.)
  regmatch_t match{};
  const bool whole = regexec(&compiled, node_name.c_str(), 1, &match, 0) == 0 && match.rm_so == 0 &&
                     static_cast<std::size_t>(match.rm_eo) == node_name.size();
  regfree(&compiled);
  return whole;
}

}  // namespace pcap_ring
