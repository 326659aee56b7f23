#include "flows/flow_query.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <utility>

namespace pcap_ring {
namespace {

using Op = FlowQueryNode::Op;

// Limits that no real filter reaches: longer or deeper ones are read packet by packet.
constexpr std::size_t kMaxTokens = 4096;
constexpr int kMaxDepth = 200;

std::optional<std::vector<std::string>> tokenize(const std::string& text) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')' || (c == '!' && text.compare(i, 2, "!=") != 0)) {
      tokens.emplace_back(1, c);
      ++i;
    } else if (text.compare(i, 2, "&&") == 0 || text.compare(i, 2, "||") == 0) {
      tokens.push_back(text.substr(i, 2));
      i += 2;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || std::strchr(".:/_-", c) != nullptr) {
      std::size_t start = i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                                 std::strchr(".:/_-", text[i]) != nullptr))
        ++i;
      tokens.push_back(text.substr(start, i - start));
    } else {
      return std::nullopt;  // arithmetic, brackets, comparisons: not answerable
    }
  }
  return tokens;
}

// A decimal number without leading zeros (pcap-filter would read 0x.. or 0.. differently).
std::optional<std::uint32_t> parse_decimal(const std::string& text, std::uint32_t max) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

// Sets the bits below `prefix` of a big-endian value of `bytes` bytes to `fill`.
void fill_host_bits(std::uint8_t* value, std::size_t bytes, unsigned prefix, bool fill) {
  for (std::size_t bit = prefix; bit < bytes * 8; ++bit) {
    auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (fill) value[bit / 8] |= mask;
    else value[bit / 8] = static_cast<std::uint8_t>(value[bit / 8] & ~mask);
  }
}

struct KeyRange {
  FlowKey low;
  FlowKey high;
};

std::optional<KeyRange> parse_host(const std::string& text) {
  std::uint8_t bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    FlowKey key = FlowKey::address(FlowKeyKind::kIpv4, bytes);
    return KeyRange{key, key};
  }
  if (text.find(':') != std::string::npos && inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    FlowKey key = FlowKey::address(FlowKeyKind::kIpv6, bytes);
    return KeyRange{key, key};
  }
  return std::nullopt;
}

KeyRange prefix_range(FlowKeyKind kind, const std::uint8_t* bytes, unsigned prefix) {
  FlowKey low = FlowKey::address(kind, bytes);
  FlowKey high = low;
  std::size_t size = flow_key_value_size(kind);
  fill_host_bits(low.value.data(), size, prefix, false);
  fill_host_bits(high.value.data(), size, prefix, true);
  return KeyRange{low, high};
}

// "10", "10.1", "10.1.2" (a /8, /16, /24), "10.1.2.0/24", "2001:db8::/32", "10.1.2.3".
std::optional<KeyRange> parse_net(const std::string& text) {
  std::string address = text;
  std::optional<std::uint32_t> prefix;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    address = text.substr(0, slash);
    prefix = parse_decimal(text.substr(slash + 1), 128);
    if (!prefix) return std::nullopt;
  }
  std::uint8_t bytes[16] = {};
  if (address.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, address.c_str(), bytes) != 1) return std::nullopt;
    return prefix_range(FlowKeyKind::kIpv6, bytes, prefix.value_or(128));
  }
  std::size_t octets = 0;
  std::size_t start = 0;
  while (start <= address.size()) {
    std::size_t dot = address.find('.', start);
    std::string part = address.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto octet = parse_decimal(part, 255);
    if (!octet || octets == 4) return std::nullopt;
    bytes[octets++] = static_cast<std::uint8_t>(*octet);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (prefix && (octets != 4 || *prefix > 32)) return std::nullopt;
  return prefix_range(FlowKeyKind::kIpv4, bytes, prefix.value_or(static_cast<std::uint32_t>(octets * 8)));
}

// "net A mask M": every address with (address & M) == (A & M) lies in [A & M, (A & M) | ~M].
std::optional<KeyRange> parse_net_mask(const std::string& net, const std::string& mask) {
  std::uint8_t a[4];
  std::uint8_t m[4];
  if (inet_pton(AF_INET, net.c_str(), a) != 1 || inet_pton(AF_INET, mask.c_str(), m) != 1) return std::nullopt;
  KeyRange range{FlowKey::address(FlowKeyKind::kIpv4, a), FlowKey::address(FlowKeyKind::kIpv4, a)};
  for (int i = 0; i < 4; ++i) {
    range.low.value[i] = static_cast<std::uint8_t>(a[i] & m[i]);
    range.high.value[i] = static_cast<std::uint8_t>((a[i] & m[i]) | ~m[i]);
  }
  return range;
}

// What a primitive says before its value; a bare value inherits the last one's.
struct Qualifiers {
  std::string proto;  // "", ip, ip6, tcp, udp, sctp
  std::string type;   // host, net, port
};

class QueryParser {
 public:
  explicit QueryParser(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  std::optional<FlowQuery> parse() {
    if (tokens_.empty()) {
      query_.root = add({});
      return query_;
    }
    auto root = expression();
    if (!root || pos_ != tokens_.size()) return std::nullopt;
    query_.root = *root;
    return query_;
  }

 private:
  const std::string& peek(std::size_t ahead = 0) const {
    static const std::string kEnd;
    return pos_ + ahead < tokens_.size() ? tokens_[pos_ + ahead] : kEnd;
  }
  bool accept(const char* token) {
    if (peek() != token) return false;
    ++pos_;
    return true;
  }
  int add(FlowQueryNode node) {
    query_.nodes.push_back(node);
    return static_cast<int>(query_.nodes.size()) - 1;
  }
  int combine(Op op, int left, int right) {
    FlowQueryNode node;
    node.op = op;
    node.left = left;
    node.right = right;
    return add(node);
  }
  int keys(const FlowKey& low, const FlowKey& high) {
    FlowQueryNode node;
    node.op = Op::kKeys;
    node.low = low;
    node.high = high;
    node.tag_shift = vlan_shift_;
    return add(node);
  }
  int key(const FlowKey& k) { return keys(k, k); }

  // and/or have equal precedence and group from the left, as in pcap-filter.
  std::optional<int> expression() {
    auto left = term();
    while (left) {
      Op op;
      if (accept("and") || accept("&&")) op = Op::kAnd;
      else if (accept("or") || accept("||")) op = Op::kOr;
      else break;
      auto right = term();
      if (!right) return std::nullopt;
      left = combine(op, *left, *right);
    }
    return left;
  }

  std::optional<int> term() {
    // Bounds the recursion (parser and evaluation) on hostile input; such a filter is
    // answered by reading every packet.
    if (++depth_ > kMaxDepth) return std::nullopt;
    auto result = unbounded_term();
    --depth_;
    return result;
  }

  std::optional<int> unbounded_term() {
    if (accept("not") || accept("!")) {
      auto inner = term();
      if (!inner) return std::nullopt;
      return combine(Op::kNot, *inner, -1);
    }
    if (accept("(")) {
      auto inner = expression();
      if (!inner || !accept(")")) return std::nullopt;
      return inner;
    }
    return primitive();
  }

  std::optional<int> primitive();
  std::optional<int> protocol_leaf(const std::string& proto);
  std::optional<int> value(const Qualifiers& q);

  std::vector<std::string> tokens_;
  std::size_t pos_ = 0;
  FlowQuery query_;
  int vlan_shift_ = 0;
  int depth_ = 0;
  std::optional<Qualifiers> last_;
};

std::optional<int> QueryParser::protocol_leaf(const std::string& proto) {
  if (proto == "ip") return key(FlowKey::flag(FlowFlag::kIpv4));
  if (proto == "ip6") return key(FlowKey::flag(FlowFlag::kIpv6));
  if (proto == "tcp") return key(FlowKey::ip_proto(6));
  if (proto == "udp") return key(FlowKey::ip_proto(17));
  if (proto == "sctp") return key(FlowKey::ip_proto(132));
  if (proto == "icmp") return key(FlowKey::ip_proto(1));
  if (proto == "icmp6") return key(FlowKey::ip_proto(58));
  return std::nullopt;
}

std::optional<int> QueryParser::primitive() {
  // A bare value inherits only from a primitive that had a value; after anything else,
  // what pcap-filter would do with it is not worth guessing.
  std::optional<Qualifiers> inherited = std::exchange(last_, std::nullopt);
  if (accept("vlan")) {
    if (parse_decimal(peek(), 4095)) ++pos_;  // the id narrows nothing the index knows
    FlowQueryNode node;
    node.op = Op::kVlan;
    node.tag_shift = vlan_shift_++;
    return add(node);
  }
  Qualifiers q;
  const std::string& first = peek();
  bool any = false;
  if (first == "ip" || first == "ip6" || first == "tcp" || first == "udp" || first == "sctp" ||
      first == "icmp" || first == "icmp6") {
    q.proto = first;
    ++pos_;
    any = true;
    if ((q.proto == "ip" || q.proto == "ip6") && accept("proto")) {
      auto number = parse_decimal(peek(), 255);
      if (!number) return std::nullopt;
      ++pos_;
      return key(FlowKey::ip_proto(static_cast<std::uint8_t>(*number)));
    }
    if (q.proto == "icmp" || q.proto == "icmp6") return protocol_leaf(q.proto);
  } else if (accept("proto")) {
    auto number = parse_decimal(peek(), 255);
    if (!number) return std::nullopt;
    ++pos_;
    return key(FlowKey::ip_proto(static_cast<std::uint8_t>(*number)));
  }
  bool direction = false;
  if (peek() == "src" || peek() == "dst") {
    std::string other = peek() == "src" ? "dst" : "src";
    ++pos_;
    if ((peek() == "or" || peek() == "and") && peek(1) == other) pos_ += 2;
    direction = any = true;
  }
  if (peek() == "host" || peek() == "net" || peek() == "port") {
    q.type = peek();
    ++pos_;
    any = true;
  }
  if (!any) {  // a bare value: the qualifiers of the primitive before it
    if (!inherited) return std::nullopt;
    last_ = inherited;
    return value(*inherited);
  }
  if (q.type.empty() && !direction) return protocol_leaf(q.proto);  // "tcp", "ip", ...
  if (q.type.empty()) q.type = "host";  // "src 10.0.0.1", "dst 10.0.0.0/8"
  last_ = q;
  return value(q);
}

std::optional<int> QueryParser::value(const Qualifiers& q) {
  const std::string text = peek();
  ++pos_;
  if (q.type == "port") {
    if (!q.proto.empty() && q.proto != "tcp" && q.proto != "udp" && q.proto != "sctp") return std::nullopt;
    auto port = parse_decimal(text, 65535);
    if (!port) return std::nullopt;
    int leaf = key(FlowKey::port(static_cast<std::uint16_t>(*port)));
    if (q.proto.empty()) return leaf;
    return combine(Op::kAnd, *protocol_leaf(q.proto), leaf);
  }
  if (!q.proto.empty() && q.proto != "ip" && q.proto != "ip6") return std::nullopt;
  std::optional<KeyRange> range;
  if (q.type == "net" && peek() == "mask") {
    ++pos_;
    range = parse_net_mask(text, peek());
    ++pos_;
  } else if (q.type == "net" || text.find('/') != std::string::npos) {
    range = parse_net(text);
  } else {
    range = parse_host(text);
  }
  if (!range) return std::nullopt;
  int leaf = keys(range->low, range->high);
  if (q.proto.empty()) return leaf;
  return combine(Op::kAnd, *protocol_leaf(q.proto), leaf);
}

}  // namespace

std::optional<FlowQuery> parse_flow_query(const std::string& filter) {
  auto tokens = tokenize(filter);
  if (!tokens || tokens->size() > kMaxTokens) return std::nullopt;
  return QueryParser(std::move(*tokens)).parse();
}

}  // namespace pcap_ring
