#!/bin/sh
# Parse-and-check benchmark (issue 11): a generated script of N lines (default 100,000) mixing every
# kind of statement is parsed and checked by `toytcp-shell run --check`; the target is under 1 s.
# Usage: scripts/bench-parse.sh [LINES]   (builds the release shell first)
set -eu
cd "$(dirname "$0")/.."
lines=${1:-100000}
swift build -c release --product toytcp-shell >/dev/null
file=$(mktemp /tmp/toytcp-bench-parse-XXXXXX.ttcp)
trap 'rm -f "$file"' EXIT
awk -v n="$lines" 'BEGIN {
    print "peer echo 10.0.1.1 7"
    print "connect 10.0.1.1 7 as c"
    for (i = 8; i < n + 6; i++) {
        k = i % 8
        if (k == 0) printf "inject P. on c seq=c.snd.nxt+%d ack=c.rcv.nxt win=%d mss=1460 nop wscale=7 sackOK ts=%d,0 \"data %d\\n\"\n", i, i % 65535, i, i
        else if (k == 1) printf "expect . on c ack=c.snd.nxt+%d win=* within 1s as s%d\n", i, i
        else if (k == 2) printf "let v%d = s%d.seq + %d\n", i, i - 1, i
        else if (k == 3) printf "assert v%d - c.irs > 0 && c.state == ESTABLISHED\n", i - 1
        else if (k == 4) printf "+0.%03d send c \"line %d\\n\"\n", i % 1000, i
        else if (k == 5) printf "inject S 10.0.0.2:%d > 10.0.1.1:8080 seq=%d ttl=%d ecn=ce id=%d opt=0x1e09aabb\n", 1024 + i % 60000, i, i % 255, i % 65535
        else if (k == 6) printf "expect none R on c within 10ms\n"
        else printf "print c.snd.nxt - c.iss + %d\n", i
    }
}' > "$file"
# Wall-clock and CPU time (user + sys): on a shared machine the CPU time is what the parser costs.
/usr/bin/time -f "%e %U %S" -o "$file.time" .build/release/toytcp-shell run --check "$file" >/dev/null
read -r wall user sys < "$file.time"
rm -f "$file.time"
awk -v w="$wall" -v u="$user" -v s="$sys" -v n="$lines" 'BEGIN {
    c = u + s
    printf "parse+check of %d lines: %.2f s CPU (%.0f lines/s), %.2f s wall; target < 1 s CPU: %s\n", n, c, n / (c > 0 ? c : 0.01), w, (c < 1 ? "met" : "NOT met")
}'
