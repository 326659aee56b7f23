#include "agent/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pcap_ring {
namespace {

struct timeval to_timeval(std::chrono::milliseconds t) {
  struct timeval tv {};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  return tv;
}

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(void* r) const { freeReplyObject(r); }
};
using OwnedReply = std::unique_ptr<void, ReplyDeleter>;

}  // namespace

struct RedisConnection::Context {
  redisContext* c = nullptr;
  std::unique_ptr<TlsRelay> relay;  // with TLS: carries hiredis's plain-text socket
  ~Context() {
    // hiredis closes its end first, so the relay sees end-of-file; then the relay stops.
    if (c != nullptr) redisFree(c);
    relay.reset();
  }
};

RedisConnection::RedisConnection() = default;
RedisConnection::~RedisConnection() = default;
RedisConnection::RedisConnection(RedisConnection&&) noexcept = default;
RedisConnection& RedisConnection::operator=(RedisConnection&&) noexcept = default;

bool RedisConnection::connected() const { return context_ && context_->c != nullptr && context_->c->err == 0; }

void RedisConnection::close() { context_.reset(); }

bool RedisConnection::connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                              const std::string& user, const std::string& password, const TlsClientSettings& tls,
                              std::string* error) {
  close();
  where_ = std::string(tls.enabled ? "redis (TLS) " : "redis ") + host + ":" + std::to_string(port);
  auto context = std::make_unique<Context>();
  if (tls.enabled) {
    int plain_fd = -1;
    context->relay = TlsRelay::open(host, port, tls, timeout, &plain_fd, error);
    if (!context->relay) {
      *error = "redis " + *error;
      return false;
    }
    context->c = redisConnectFd(plain_fd);
    if (context->c == nullptr) ::close(plain_fd);
  } else {
    context->c = redisConnectWithTimeout(host.c_str(), port, to_timeval(timeout));
  }
  if (context->c == nullptr) {
    *error = where_ + ": cannot allocate a connection";
    return false;
  }
  if (context->c->err != 0) {
    *error = where_ + ": cannot connect: " + context->c->errstr;
    return false;
  }
  if (redisSetTimeout(context->c, to_timeval(timeout)) != REDIS_OK) {
    *error = where_ + ": cannot set the socket timeout";
    return false;
  }
  context_ = std::move(context);
  if (password.empty()) return true;
  std::vector<std::string> auth = {"AUTH"};
  if (!user.empty()) auth.push_back(user);
  auth.push_back(password);
  RedisReply reply;
  if (!command(auth, &reply, error)) return false;
  if (reply.is_error()) {
    // The server's text names no secret ("WRONGPASS invalid username-password pair").
    *error = where_ + ": authentication" + (user.empty() ? std::string() : " as '" + user + "'") +
             " refused: " + reply.text;
    close();
    return false;
  }
  return true;
}

bool RedisConnection::set_timeout(std::chrono::milliseconds timeout) {
  return connected() && redisSetTimeout(context_->c, to_timeval(timeout)) == REDIS_OK;
}

bool RedisConnection::command(const std::vector<std::string>& args, RedisReply* reply, std::string* error) {
  if (!connected()) {
    *error = where_.empty() ? "redis: not connected" : where_ + ": not connected";
    return false;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  OwnedReply r(redisCommandArgv(context_->c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (!r) {
    *error = where_ + ": " + (context_->c->err != 0 ? context_->c->errstr : "no reply") + " (" + args.front() + ")";
    close();
    return false;
  }
  *reply = copy_reply(static_cast<redisReply*>(r.get()));
  return true;
}

bool RedisConnection::next_push(RedisReply* reply, bool* timed_out, std::string* error) {
  *timed_out = false;
  if (!connected()) {
    *error = where_ + ": not connected";
    return false;
  }
  redisContext* c = context_->c;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(c, &raw) != REDIS_OK) {
      *error = where_ + ": " + c->errstr;
      close();
      return false;
    }
    if (raw != nullptr) {
      OwnedReply r(raw);
      *reply = copy_reply(static_cast<redisReply*>(raw));
      return true;
    }
    // Wait for bytes ourselves: a read timeout inside hiredis would leave the context failed.
    struct pollfd p {c->fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(c->timeout != nullptr ? c->timeout->tv_sec * 1000 + c->timeout->tv_usec / 1000 : 1000));
    if (n < 0 && errno == EINTR) {
      *timed_out = true;
      return true;
    }
    if (n < 0) {
      *error = where_ + ": poll: " + std::strerror(errno);
      close();
      return false;
    }
    if (n == 0) {
      *timed_out = true;
      return true;
    }
    if (redisBufferRead(c) != REDIS_OK) {
      *error = where_ + ": " + c->errstr;
      close();
      return false;
    }
  }
}

}  // namespace pcap_ring
