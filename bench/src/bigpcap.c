// bigpcap - writes a large synthetic pcap for bench/offline.sh.
// usage: bigpcap OUT.pcap SIZE_MB [mixed|64|1500]
// mixed: a traffic-like blend of frame sizes (mean ~700 B): 40 % 60-78 B (ACK-like),
// 15 % 79-299 B, 10 % 300-1199 B, 35 % 1514 B, spread over 1000 IPv4 TCP/UDP flows.
// Timestamps are microsecond pcap, advancing as on a ~500 Mbit/s link.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t st = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) {           /* splitmix64 */
    uint64_t z = (st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static void be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s OUT.pcap SIZE_MB [mixed|64|1500]\n", argv[0]); return 2; }
    const char *mode = argc > 3 ? argv[3] : "mixed";
    uint64_t target = strtoull(argv[2], NULL, 10) * 1000000ull;
    FILE *f = fopen(argv[1], "wb");
    if (!f) { perror(argv[1]); return 1; }
    static char iobuf[1 << 22];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    uint8_t gh[24] = {0};
    le32(gh, 0xa1b2c3d4); gh[4] = 2; gh[6] = 4; le32(gh + 16, 65535); le32(gh + 20, 1);
    fwrite(gh, 1, sizeof gh, f);
    static uint8_t noise[1 << 16];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)next_rand();
    uint8_t rec[16 + 1514];
    uint64_t bytes = sizeof gh, n = 0, usec = 1700000000ull * 1000000ull;
    while (bytes < target) {
        int len;
        if (!strcmp(mode, "64")) len = 64;
        else if (!strcmp(mode, "1500")) len = 1500;
        else {
            unsigned r = (unsigned)(next_rand() % 100);
            len = r < 40 ? 60 + (int)(next_rand() % 19) : r < 55 ? 79 + (int)(next_rand() % 221)
                : r < 65 ? 300 + (int)(next_rand() % 900) : 1514;
        }
        uint32_t flow = (uint32_t)(next_rand() % 1000);
        int udp = flow % 4 == 0;
        uint8_t *e = rec + 16;
        memset(e, 0, 54);
        e[0] = 0x02; e[5] = (uint8_t)flow; e[6] = 0x02; e[11] = (uint8_t)(flow >> 2);
        be16(e + 12, 0x0800);
        uint8_t *ip = e + 14;
        ip[0] = 0x45; be16(ip + 2, (uint32_t)(len - 14)); be16(ip + 4, (uint32_t)n); ip[8] = 63; ip[9] = udp ? 17 : 6;
        ip[12] = 172; ip[13] = 16; ip[14] = (uint8_t)(flow >> 8); ip[15] = (uint8_t)flow;
        ip[16] = 192; ip[17] = 168; ip[18] = (uint8_t)(flow % 7); ip[19] = 10;
        uint8_t *l4 = ip + 20;
        be16(l4, 20000 + flow); be16(l4 + 2, udp ? 53 : 443);
        int hdr;
        if (udp) { be16(l4 + 4, (uint32_t)(len - 34)); hdr = 42; }
        else { be16(l4 + 4, (uint32_t)(n >> 16)); be16(l4 + 6, (uint32_t)n); l4[12] = 0x50; l4[13] = 0x18; be16(l4 + 14, 1024); hdr = 54; }
        if (len > hdr) memcpy(e + hdr, noise + next_rand() % (sizeof noise - 1514), (size_t)(len - hdr));
        usec += (uint64_t)(len + 24) * 8 / 500 + 1;
        le32(rec, (uint32_t)(usec / 1000000)); le32(rec + 4, (uint32_t)(usec % 1000000));
        le32(rec + 8, (uint32_t)len); le32(rec + 12, (uint32_t)len);
        if (fwrite(rec, 1, 16 + (size_t)len, f) != 16 + (size_t)len) { perror("write"); return 1; }
        bytes += 16 + (uint64_t)len;
        n++;
    }
    if (fclose(f) != 0) { perror("close"); return 1; }
    fprintf(stderr, "bigpcap: %s packets=%llu bytes=%llu mean_frame=%.0f\n", argv[1],
            (unsigned long long)n, (unsigned long long)bytes, n ? (double)(bytes - 24) / n - 16 : 0.0);
    return 0;
}
