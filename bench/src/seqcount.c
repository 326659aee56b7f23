// seqcount - reads capture files with libpcap (pcap or pcapng) and reports which seqsend
// sequence numbers landed in them.
// usage: seqcount SENT FILE...
// prints one line: files=.. unreadable=.. truncated=.. frames=.. tagged=.. unique=.. dups=..
//                  first=.. last=.. holes=..
//   unique  distinct sequence numbers in [0, SENT)
//   first/last  lowest/highest sequence number seen (-1 if none)
//   holes   numbers missing between first and last (loss inside the retained window)
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s SENT FILE...\n", argv[0]); return 2; }
    uint64_t sent = strtoull(argv[1], NULL, 10);
    uint64_t words = sent / 64 + 1;
    uint64_t *seen = calloc(words, sizeof *seen);
    if (!seen) { perror("calloc"); return 1; }
    uint64_t frames = 0, tagged = 0, unique = 0, dups = 0;
    int64_t first = -1, last = -1;
    int files = 0, unreadable = 0, truncated = 0;
    char err[PCAP_ERRBUF_SIZE];
    for (int a = 2; a < argc; a++) {
        pcap_t *p = pcap_open_offline(argv[a], err);
        if (!p) { fprintf(stderr, "seqcount: %s: %s\n", argv[a], err); unreadable++; continue; }
        files++;
        struct pcap_pkthdr *h;
        const u_char *d;
        int rc;
        while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
            frames++;
            if (h->caplen < 54 || memcmp(d + 42, "PCSQ", 4) != 0) continue;
            tagged++;
            uint64_t s = 0;
            for (int i = 7; i >= 0; i--) s = s << 8 | d[46 + i];
            if (s >= sent) continue;
            uint64_t bit = 1ull << (s & 63);
            if (seen[s >> 6] & bit) { dups++; continue; }
            seen[s >> 6] |= bit;
            unique++;
            if (first < 0 || (int64_t)s < first) first = (int64_t)s;
            if ((int64_t)s > last) last = (int64_t)s;
        }
        if (rc == PCAP_ERROR) { fprintf(stderr, "seqcount: %s: %s\n", argv[a], pcap_geterr(p)); truncated++; }
        pcap_close(p);
    }
    uint64_t holes = first < 0 ? 0 : (uint64_t)(last - first + 1) - unique;
    printf("files=%d unreadable=%d truncated=%d frames=%llu tagged=%llu unique=%llu dups=%llu first=%lld last=%lld holes=%llu\n",
           files, unreadable, truncated, (unsigned long long)frames, (unsigned long long)tagged,
           (unsigned long long)unique, (unsigned long long)dups, (long long)first, (long long)last,
           (unsigned long long)holes);
    free(seen);
    return 0;
}
