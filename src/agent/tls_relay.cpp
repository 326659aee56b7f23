#include "agent/tls_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/log.h"
#include "common/thread_name.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "the connection was closed during the handshake";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

bool is_address(const std::string& name) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, name.c_str(), buf) == 1 || ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// The kernel bounds every blocking send and receive of the TLS connection: a handshake or a
// record that stalls ends the connection instead of the relay.
void set_io_timeout(int fd, std::chrono::milliseconds timeout) {
  struct timeval tv {};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

UniqueFd connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout, std::string* error) {
  struct addrinfo hints {};
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    *error = std::string("cannot resolve: ") + ::gai_strerror(rc);
    return UniqueFd();
  }
  std::unique_ptr<struct addrinfo, decltype(&::freeaddrinfo)> owned(found, ::freeaddrinfo);
  *error = "no address";
  for (auto* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd.valid()) {
      *error = "socket: " + errno_text(errno);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        *error = "cannot connect: " + errno_text(errno);
        continue;
      }
      struct pollfd p {fd.get(), POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 0) err = ETIMEDOUT;
      else if (n < 0) err = errno;
      else if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        *error = "cannot connect: " + errno_text(err);
        continue;
      }
    }
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
      *error = "fcntl: " + errno_text(errno);
      continue;
    }
    set_io_timeout(fd.get(), timeout);
    return fd;
  }
  return UniqueFd();
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

struct TlsRelay::State {
  std::string where;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  UniqueFd tcp, local, stop;
  std::thread thread;

  ~State() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }

  // Until either side closes or fails, or stop is signalled.
  void relay() {
    name_this_thread("tls-relay");
    // SSL_write to a server that went away raises SIGPIPE in this thread: keep it pending here
    // and let the write fail with EPIPE instead.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    char buf[16384];
    std::string why;
    for (;;) {
      if (SSL_pending(ssl) == 0) {
        struct pollfd fds[3] = {{tcp.get(), POLLIN, 0}, {local.get(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
          if (errno == EINTR) continue;
          why = "poll: " + errno_text(errno);
          break;
        }
        if (fds[2].revents != 0) break;
        if (fds[1].revents != 0) {
          ssize_t n = ::read(local.get(), buf, sizeof buf);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;  // the client closed its end
          if (SSL_write(ssl, buf, static_cast<int>(n)) <= 0) {
            why = "write: " + openssl_error();
            break;
          }
        }
        if (fds[0].revents == 0) continue;
      }
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) {
        int err = SSL_get_error(ssl, n);
        // A record without application data (a TLS 1.3 session ticket): nothing to pass on.
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        if (err != SSL_ERROR_ZERO_RETURN) why = "read: " + openssl_error();
        break;
      }
      if (!write_all(local.get(), buf, static_cast<std::size_t>(n))) break;
    }
    if (!why.empty()) log::warning(where + ": TLS connection ended: " + why);
    SSL_shutdown(ssl);
    // The client reads end-of-file and reconnects; its end stays open until it closes it, so a
    // write it makes meanwhile lands in the socket's buffer rather than raising SIGPIPE.
    ::shutdown(local.get(), SHUT_WR);
  }
};

TlsRelay::TlsRelay(std::unique_ptr<State> state) : state_(std::move(state)) {}

TlsRelay::~TlsRelay() {
  if (!state_->thread.joinable()) return;
  std::uint64_t one = 1;
  if (::write(state_->stop.get(), &one, sizeof one) != sizeof one) log::warning(state_->where + ": cannot stop the TLS relay");
  state_->thread.join();
}

std::unique_ptr<TlsRelay> TlsRelay::open(const std::string& host, std::uint16_t port, const TlsClientSettings& tls,
                                         std::chrono::milliseconds timeout, int* plain_fd, std::string* error) {
  ERR_clear_error();  // so that the errors reported below are this connection's
  auto s = std::make_unique<State>();
  s->where = host + ":" + std::to_string(port);
  auto fail = [&](const std::string& why) {
    *error = "TLS to " + s->where + ": " + why;
    return nullptr;
  };
  s->tcp = connect_tcp(host, port, timeout, error);
  if (!s->tcp.valid()) return fail(*error);

  s->ctx = SSL_CTX_new(TLS_client_method());
  if (s->ctx == nullptr) return fail(openssl_error());
  SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, nullptr);
  // The relay polls before it reads: SSL_read must return after a record without data
  // rather than wait for the next one while the client's command waits to be sent.
  SSL_CTX_clear_mode(s->ctx, SSL_MODE_AUTO_RETRY);
  if (tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(s->ctx) != 1
                          : SSL_CTX_load_verify_locations(s->ctx, tls.ca_file.c_str(), nullptr) != 1)
    return fail("cannot load the trusted CAs" + (tls.ca_file.empty() ? std::string() : " from '" + tls.ca_file + "'") +
                ": " + openssl_error());
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(s->ctx, tls.cert_file.c_str()) != 1)
      return fail("cannot load the client certificate '" + tls.cert_file + "': " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(s->ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return fail("cannot load the client key '" + tls.key_file + "': " + openssl_error());
    if (SSL_CTX_check_private_key(s->ctx) != 1)
      return fail("the client key '" + tls.key_file + "' does not match the certificate '" + tls.cert_file + "'");
  }
  s->ssl = SSL_new(s->ctx);
  if (s->ssl == nullptr || SSL_set_fd(s->ssl, s->tcp.get()) != 1) return fail(openssl_error());
  const std::string name = tls.server_name.empty() ? host : tls.server_name;
  if (is_address(name)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name.c_str()) != 1) return fail(openssl_error());
  } else if (SSL_set_tlsext_host_name(s->ssl, name.c_str()) != 1 || SSL_set1_host(s->ssl, name.c_str()) != 1) {
    return fail(openssl_error());
  }
  // A server that resets the connection mid-handshake must not kill a process that does not
  // ignore SIGPIPE (`request`): blocked here, and a SIGPIPE raised meanwhile consumed.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  const int connected = SSL_connect(s->ssl);
  const struct timespec no_wait {};
  while (::sigtimedwait(&pipe_signal, nullptr, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (connected != 1) {
    long verify = SSL_get_verify_result(s->ssl);
    if (verify != X509_V_OK)
      return fail(std::string("the server's certificate is not trusted for '") + name + "': " +
                  X509_verify_cert_error_string(verify));
    return fail("handshake failed: " + openssl_error());
  }

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return fail("socketpair: " + errno_text(errno));
  UniqueFd plain(pair[0]);
  s->local.reset(pair[1]);
  s->stop.reset(::eventfd(0, EFD_CLOEXEC));
  if (!s->stop.valid()) return fail("eventfd: " + errno_text(errno));
  State* state = s.get();
  s->thread = std::thread([state] { state->relay(); });
  *plain_fd = plain.release();
  return std::unique_ptr<TlsRelay>(new TlsRelay(std::move(s)));
}

}  // namespace pcap_ring
