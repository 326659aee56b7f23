// ringtraffic - writes a large nanosecond pcap of mixed traffic for bench/extract.sh: the
// haystack a ring is built from, with one rare "needle" host spread over the whole capture.
// usage: ringtraffic OUT.pcap SIZE_MB [DURATION_S] [NEEDLE_PPM]
//   SIZE_MB     file size in MB (10^6 bytes)
//   DURATION_S  time the capture spans (default 3600); timestamps advance with the bytes
//               written, as on a link of constant load, starting 2026-01-01T10:00:00Z
//   NEEDLE_PPM  packets of the needle host per million (default 1000 = 0.1 %)
// Traffic: 100k flows between ~6000 IPv4 clients (10/8) and 400 servers (172.16/12,
// 203.0.113/24), 5 % of the flows IPv6 (2001:db8::/32); 70 % TCP, 25 % UDP, 5 % ICMP; 10 %
// of the flows carry an 802.1Q tag. Frame sizes: TCP 45 % ACK-sized, 35 % 1514 B, 20 % mid;
// UDP small (DNS, NTP) or mid; ICMP echo-sized. The needle, 198.51.100.77, talks TCP to the
// servers, untagged, and appears nowhere else.
// Prints one line on stdout: packets=.. bytes=.. needle=IP needle_packets=.. first_ns=.. last_ns=..
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOWS 100000u
#define CLIENTS 6000u
#define SERVERS 400u
#define START_NS (1767261600ull * 1000000000ull) /* 2026-01-01T10:00:00Z */
static const uint8_t kNeedle[4] = {198, 51, 100, 77};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t mix(uint64_t x) { /* stateless hash: a flow's fixed properties */
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}
static unsigned pick(unsigned n) { return (unsigned)(next_rand() % n); }
static void be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

struct flow {
    int proto;       /* 6, 17, 1 */
    int ipv6;
    int vlan;        /* 0 or the VLAN id */
    int needle;
    uint32_t client, server;
    uint16_t cport, sport;
};

static struct flow make_flow(uint32_t id, int needle) {
    uint64_t h = mix(id + 1);
    struct flow f = {0};
    unsigned p = (unsigned)(h % 100);
    f.proto = p < 70 ? 6 : p < 95 ? 17 : 1;
    f.ipv6 = !needle && (h >> 8) % 20 == 0;
    f.vlan = !needle && (h >> 16) % 10 == 0 ? 100 + (int)((h >> 24) % 20) : 0;
    f.needle = needle;
    f.client = (uint32_t)((h >> 20) % CLIENTS);
    f.server = (uint32_t)((h >> 36) % SERVERS);
    static const uint16_t tcp_ports[] = {443, 443, 443, 80, 80, 22, 25, 993, 3306, 5432, 8080, 8443};
    static const uint16_t udp_ports[] = {53, 53, 53, 123, 443, 1194, 5353, 514};
    if (f.proto == 6) f.sport = tcp_ports[(h >> 44) % 12];
    else f.sport = udp_ports[(h >> 44) % 8];
    if ((h >> 50) % 10 == 0 && f.proto != 1) f.sport = (uint16_t)(1024 + (h >> 52) % 60000);
    f.cport = (uint16_t)(32768 + (h >> 4) % 28000);
    if (needle) { f.proto = 6; f.sport = 443; }
    return f;
}

static int frame_length(const struct flow *f) {
    unsigned r = pick(100);
    if (f->proto == 1) return f->ipv6 ? 118 : 98;
    if (f->proto == 17) {
        if (f->sport == 53 || f->sport == 123 || f->sport == 5353) return 70 + (int)pick(250);
        return r < 50 ? 80 + (int)pick(200) : 300 + (int)pick(1100);
    }
    return r < 45 ? 60 + (int)pick(7) : r < 80 ? 1514 : 100 + (int)pick(1100);
}

static void put_addr4(uint8_t *p, const struct flow *f, int server) {
    if (!server && f->needle) { memcpy(p, kNeedle, 4); return; }
    uint32_t n = server ? f->server : f->client;
    uint64_t h = mix(n * 2 + (uint64_t)server + 77);
    if (server) {
        if (n % 4 == 0) { p[0] = 203; p[1] = 0; p[2] = 113; p[3] = (uint8_t)(1 + n / 4 % 254); return; }
        p[0] = 172; p[1] = (uint8_t)(16 + h % 16);
    } else {
        p[0] = 10; p[1] = (uint8_t)h;
    }
    p[2] = (uint8_t)(h >> 8); p[3] = (uint8_t)(1 + (h >> 16) % 254);
}

static void put_addr6(uint8_t *p, const struct flow *f, int server) {
    uint64_t h = mix((server ? f->server : f->client) * 2 + (uint64_t)server + 991);
    memset(p, 0, 16);
    p[0] = 0x20; p[1] = 0x01; p[2] = 0x0d; p[3] = 0xb8; p[5] = server ? 2 : 1;
    for (int i = 0; i < 8; i++) p[8 + i] = (uint8_t)(h >> (8 * i));
}

static uint16_t ip_checksum(const uint8_t *p, int len) {
    uint32_t sum = 0;
    for (int i = 0; i < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

// Builds one frame of `len` bytes of flow `f` into `e`, headers only (the payload is left as is).
static void build_frame(uint8_t *e, int len, const struct flow *f, uint64_t n) {
    int to_server = (int)(n & 1);
    uint64_t mac_c = mix(f->client + 5), mac_s = mix(f->server + 9);
    uint64_t dst = to_server ? mac_s : mac_c, src = to_server ? mac_c : mac_s;
    for (int i = 0; i < 6; i++) { e[i] = (uint8_t)(dst >> (8 * i)); e[6 + i] = (uint8_t)(src >> (8 * i)); }
    e[0] &= 0xfe; e[6] &= 0xfe;
    int off = 12;
    if (f->vlan) { be16(e + off, 0x8100); be16(e + off + 2, (uint32_t)f->vlan); off += 4; }
    be16(e + off, f->ipv6 ? 0x86dd : 0x0800);
    uint8_t *ip = e + off + 2;
    int iphdr = f->ipv6 ? 40 : 20, l3len = len - (off + 2);
    if (f->proto == 6 && len - (f->vlan ? 4 : 0) <= 66) l3len = iphdr + 20; /* a bare ACK; the rest is padding */
    int l4proto = f->proto == 1 && f->ipv6 ? 58 : f->proto;
    if (f->ipv6) {
        memset(ip, 0, 40); ip[0] = 0x60; be16(ip + 4, (uint32_t)(l3len - 40)); ip[6] = (uint8_t)l4proto; ip[7] = 64;
        put_addr6(ip + 8, f, !to_server); put_addr6(ip + 24, f, to_server);
    } else {
        memset(ip, 0, 20); ip[0] = 0x45; be16(ip + 2, (uint32_t)l3len); be16(ip + 4, (uint32_t)n);
        ip[6] = 0x40; ip[8] = 64; ip[9] = (uint8_t)l4proto;
        put_addr4(ip + 12, f, !to_server); put_addr4(ip + 16, f, to_server);
        be16(ip + 10, ip_checksum(ip, 20));
    }
    uint8_t *l4 = ip + iphdr;
    uint16_t sp = to_server ? f->cport : f->sport, dp = to_server ? f->sport : f->cport;
    if (f->proto == 6) {
        memset(l4, 0, 20); be16(l4, sp); be16(l4 + 2, dp);
        be16(l4 + 4, (uint32_t)(n >> 16)); be16(l4 + 6, (uint32_t)n);
        l4[12] = 0x50; l4[13] = len <= 66 ? 0x10 : 0x18; be16(l4 + 14, 64240);
    } else if (f->proto == 17) {
        memset(l4, 0, 8); be16(l4, sp); be16(l4 + 2, dp); be16(l4 + 4, (uint32_t)(l3len - iphdr));
    } else {
        memset(l4, 0, 8); l4[0] = f->ipv6 ? (to_server ? 128 : 129) : (to_server ? 8 : 0);
        be16(l4 + 4, f->client); be16(l4 + 6, (uint32_t)n);
    }
}

static int write_header(FILE *out) {
    uint8_t gh[24] = {0};
    le32(gh, 0xa1b23c4d); gh[4] = 2; gh[6] = 4; le32(gh + 16, 262144); le32(gh + 20, 1);
    return fwrite(gh, 1, sizeof gh, out) == sizeof gh ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s OUT.pcap SIZE_MB [DURATION_S] [NEEDLE_PPM]\n", argv[0]); return 2; }
    uint64_t target = strtoull(argv[2], NULL, 10) * 1000000ull;
    uint64_t duration_ns = (argc > 3 ? strtoull(argv[3], NULL, 10) : 3600) * 1000000000ull;
    uint64_t needle_ppm = argc > 4 ? strtoull(argv[4], NULL, 10) : 1000;
    if (target == 0 || duration_ns == 0) { fprintf(stderr, "ringtraffic: size and duration must be > 0\n"); return 2; }
    FILE *out = fopen(argv[1], "wb");
    if (!out) { perror(argv[1]); return 1; }
    static char iobuf[1 << 22];
    setvbuf(out, iobuf, _IOFBF, sizeof iobuf);
    if (write_header(out) != 0) { perror("write"); return 1; }
    static uint8_t rec[16 + 1518];
    for (size_t i = 16; i < sizeof rec; i++) rec[i] = (uint8_t)next_rand(); /* payload noise */
    double ns_per_byte = (double)duration_ns / (double)target;
    uint64_t bytes = 24, n = 0, needles = 0, ts = START_NS, first = 0;
    double carry = 0;
    while (bytes < target) {
        int needle = next_rand() % 1000000 < needle_ppm;
        struct flow f = make_flow(needle ? (uint32_t)pick(50) + FLOWS : (uint32_t)pick(FLOWS), needle);
        int len = frame_length(&f) + (f.vlan ? 4 : 0);
        build_frame(rec + 16, len, &f, n);
        /* jitter of +-50 % around the constant-load gap, so arrivals are not evenly spaced */
        carry += (double)(16 + len) * ns_per_byte * (0.5 + (double)(next_rand() % 1000) / 1000.0);
        ts += (uint64_t)carry; carry -= (double)(uint64_t)carry;
        if (n == 0) first = ts;
        le32(rec, (uint32_t)(ts / 1000000000ull)); le32(rec + 4, (uint32_t)(ts % 1000000000ull));
        le32(rec + 8, (uint32_t)len); le32(rec + 12, (uint32_t)len);
        if (fwrite(rec, 1, 16 + (size_t)len, out) != 16 + (size_t)len) { perror("write"); return 1; }
        bytes += 16 + (uint64_t)len;
        n++;
        needles += (uint64_t)needle;
    }
    if (fclose(out) != 0) { perror("close"); return 1; }
    printf("packets=%llu bytes=%llu needle=%u.%u.%u.%u needle_packets=%llu first_ns=%llu last_ns=%llu\n",
           (unsigned long long)n, (unsigned long long)bytes, kNeedle[0], kNeedle[1], kNeedle[2], kNeedle[3],
           (unsigned long long)needles, (unsigned long long)first, (unsigned long long)ts);
    return 0;
}
