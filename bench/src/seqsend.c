// seqsend - benchmark traffic source for bench/run.sh.
// Sends N Ethernet/IPv4/UDP frames out of one interface through an AF_PACKET raw socket, in
// sendmmsg() batches, either as fast as the kernel accepts them or paced to a fixed packet rate.
// Every frame carries, right after the UDP header (frame offset 42), the 4-byte tag "PCSQ"
// followed by a little-endian 64-bit sequence number 0..N-1, so seqcount can tell exactly
// which frames reached the capture files.
//
// usage: seqsend -i IFACE -n COUNT -s FRAME_BYTES [-r PPS (0 = top speed)] [-b BATCH]
// prints one line: sent=.. bytes=.. secs=.. pps=.. mbps=.. retries=.. errors=..
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TAG_OFF 42
#define RING 512            /* distinct prebuilt frame buffers, reused round-robin */
#define MAXBATCH 1024

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t ip_checksum(const uint8_t *p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void make_frame(uint8_t *f, int len) {
    static const uint8_t dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};   /* not the receiver's MAC */
    static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memset(f, 0, (size_t)len);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, ETH_P_IP);
    uint8_t *ip = f + 14;
    ip[0] = 0x45; put16(ip + 2, (uint16_t)(len - 14)); ip[8] = 64; ip[9] = 17;
    uint8_t sa[4] = {10, 199, 0, 1}, da[4] = {10, 199, 0, 2};
    memcpy(ip + 12, sa, 4); memcpy(ip + 16, da, 4);
    put16(ip + 10, ip_checksum(ip, 20));
    uint8_t *udp = ip + 20;
    put16(udp, 50000); put16(udp + 2, 9); put16(udp + 4, (uint16_t)(len - 34));
    for (int i = TAG_OFF; i < len; i++) f[i] = (uint8_t)(0xa5 ^ i);
    memcpy(f + TAG_OFF, "PCSQ", 4);
}

static void set_seq(uint8_t *f, uint64_t seq) {
    for (int i = 0; i < 8; i++) f[TAG_OFF + 4 + i] = (uint8_t)(seq >> (8 * i));
}

static void usage(const char *p) {
    fprintf(stderr, "usage: %s -i IFACE -n COUNT -s FRAME_BYTES(60..1514) [-r PPS] [-b BATCH]\n", p);
    exit(2);
}

int main(int argc, char **argv) {
    const char *ifname = NULL;
    uint64_t count = 0, rate = 0;
    int fsize = 64, batch = 128, opt;
    while ((opt = getopt(argc, argv, "i:n:s:r:b:")) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 's': fsize = atoi(optarg); break;
        case 'r': rate = strtoull(optarg, NULL, 10); break;
        case 'b': batch = atoi(optarg); break;
        default: usage(argv[0]);
        }
    }
    if (!ifname || count == 0) usage(argv[0]);
    if (fsize < 60) fsize = 60;          /* tag must fit; 60 = minimum Ethernet frame without FCS */
    if (fsize > 1514) fsize = 1514;
    if (batch < 1) batch = 1;
    if (batch > MAXBATCH) batch = MAXBATCH;

    int fd = socket(AF_PACKET, SOCK_RAW, 0);   /* protocol 0: send only, never receives */
    if (fd < 0) { perror("socket(AF_PACKET)"); return 1; }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    int sndbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
    struct sockaddr_ll ll;
    memset(&ll, 0, sizeof ll);
    ll.sll_family = AF_PACKET;
    ll.sll_ifindex = (int)if_nametoindex(ifname);
    if (ll.sll_ifindex == 0) { fprintf(stderr, "no such interface: %s\n", ifname); return 1; }
    if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) { perror("bind"); return 1; }

    static uint8_t frames[RING][1514];
    for (int i = 0; i < RING; i++) make_frame(frames[i], fsize);
    static struct mmsghdr msgs[MAXBATCH];
    static struct iovec iovs[MAXBATCH];

    /* pacing: at most one "slice" of packets per wake-up, slice = ~50 us worth of packets */
    uint64_t slice = rate ? rate / 20000 : (uint64_t)batch;
    if (slice < 1) slice = 1;
    if (slice > (uint64_t)batch) slice = (uint64_t)batch;

    uint64_t sent = 0, retries = 0, errors = 0;
    uint64_t t0 = mono_ns();
    while (sent < count) {
        uint64_t want = count - sent;
        if (rate) {
            uint64_t due = (uint64_t)((double)(mono_ns() - t0) * (double)rate / 1e9) + 1;
            if (due <= sent) {
                uint64_t next = t0 + (uint64_t)((double)sent * 1e9 / (double)rate);
                struct timespec ts = {(time_t)(next / 1000000000ull), (long)(next % 1000000000ull)};
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                continue;
            }
            if (want > due - sent) want = due - sent;
            if (want > slice) want = slice;
        } else if (want > (uint64_t)batch) {
            want = (uint64_t)batch;
        }
        for (uint64_t k = 0; k < want; k++) {
            uint8_t *f = frames[(sent + k) % RING];
            set_seq(f, sent + k);
            iovs[k].iov_base = f;
            iovs[k].iov_len = (size_t)fsize;
            memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
            msgs[k].msg_hdr.msg_iov = &iovs[k];
            msgs[k].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(fd, msgs, (unsigned)want, 0);
        if (r < 0) {
            if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) { retries++; continue; }
            perror("sendmmsg");
            if (++errors > 100) break;
            continue;
        }
        sent += (uint64_t)r;
    }
    double secs = (double)(mono_ns() - t0) / 1e9;
    printf("sent=%llu bytes=%llu secs=%.3f pps=%.0f mbps=%.1f retries=%llu errors=%llu\n",
           (unsigned long long)sent, (unsigned long long)(sent * (uint64_t)fsize), secs,
           secs > 0 ? (double)sent / secs : 0.0,
           secs > 0 ? (double)sent * fsize * 8 / secs / 1e6 : 0.0,
           (unsigned long long)retries, (unsigned long long)errors);
    close(fd);
    return sent == count ? 0 : 1;
}
