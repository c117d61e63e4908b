#!/usr/bin/env bash
# Runs the packetdrill corpus (../shared/packetdrill/linux-selftests) with `toytcp-shell run FILE.pkt`
# in both modes, as a user would: against the kernel (private namespace, tun, real time) and against
# our own stack (`--stack toytcp`, virtual time). Prints a table (script, in EXPECTED-PASS.txt, kernel
# result and wall time, toytcp result and wall time, why toytcp fails: from
# Tests/ToyTCPPacketdrillTests/toytcp-expected.txt), the totals, and the benchmark line: the whole
# corpus's wall time against the kernel and against toytcp, and the ratio (the goal: toytcp >= 20x
# faster). Needs root for the kernel runs.
#
# The measurement is meant for a release build (`swift build -c release --product toytcp-shell`);
# --bin picks another binary.
#
# --ip_version ipv6 (or ipv4-mapped-ipv6) runs every script in that family, as upstream's runner's second
# pass does (a script's own --ip_version line still wins).
#
#   scripts/packetdrill-report.sh [--expected-only] [--toytcp-only] [--ip_version V] [--bin PATH] [--corpus DIR] [SCRIPT.pkt…]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/.build/release/toytcp-shell"
corpus="$here/../shared/packetdrill/linux-selftests"
[ -d "$corpus" ] || corpus=/work/shared/packetdrill/linux-selftests
reasons="$here/Tests/ToyTCPPacketdrillTests/toytcp-expected.txt"
expected_only=0
kernel=1
family=()
scripts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --expected-only) expected_only=1 ;;
        --toytcp-only) kernel=0 ;;
        --ip_version) family=(--ip_version "$2"); shift ;;
        --ip_version=*) family=("$1") ;;
        --bin) bin=$2; shift ;;
        --corpus) corpus=$2; shift ;;
        *) scripts+=("$1") ;;
    esac
    shift
done
expected="$corpus/../EXPECTED-PASS.txt"
if [ ${#scripts[@]} -eq 0 ]; then
    if [ $expected_only = 1 ]; then mapfile -t scripts < "$expected"
    else mapfile -t scripts < <(cd "$corpus" && ls *.pkt); fi
fi
[ -x "$bin" ] || { echo "no $bin: run 'swift build -c release --product toytcp-shell' first (or pass --bin)" >&2; exit 2; }
if [ $kernel = 1 ] && [ "$(id -u)" != 0 ]; then echo "kernel runs need root (or pass --toytcp-only)" >&2; exit 2; fi

now() { date +%s.%N; }
# One run: prints "RESULT SECONDS".
run_one() {
    local t0 t1 rc
    t0=$(now)
    timeout 120 "$bin" run "${family[@]}" "$@" > /dev/null 2>&1; rc=$?
    t1=$(date +%s.%N)
    printf '%s %.3f\n' "$([ $rc = 0 ] && echo pass || echo FAIL)" "$(echo "$t1 - $t0" | bc)"
}

printf '%-58s %-4s %-6s %7s  %-6s %6s  %s\n' script exp kernel seconds toytcp sec "why toytcp fails (toytcp-expected.txt)"
kpass=0; tpass=0; both=0; n=0; ktime=0; ttime=0; epass_k=0; epass_t=0; etotal=0
for s in "${scripts[@]}"; do
    n=$((n+1))
    in_list=no; grep -qx "$s" "$expected" && in_list=yes
    kres=-; ksec=0
    if [ $kernel = 1 ]; then read -r kres ksec < <(run_one "$corpus/$s"); fi
    read -r tres tsec < <(run_one --stack toytcp "$corpus/$s")
    ktime=$(echo "$ktime + $ksec" | bc); ttime=$(echo "$ttime + $tsec" | bc)
    [ "$kres" = pass ] && kpass=$((kpass+1))
    [ "$tres" = pass ] && tpass=$((tpass+1))
    [ "$kres" = pass ] && [ "$tres" = pass ] && both=$((both+1))
    if [ $in_list = yes ]; then
        etotal=$((etotal+1))
        [ "$kres" = pass ] && epass_k=$((epass_k+1))
        [ "$tres" = pass ] && epass_t=$((epass_t+1))
    fi
    why=""
    [ "$tres" = pass ] || why=$(awk -F'\t' -v s="$s" '$1 == s { print $2 }' "$reasons" | cut -c1-90)
    printf '%-58s %-4s %-6s %7.2f  %-6s %6.3f  %s\n' "$s" "$in_list" "$kres" "$ksec" "$tres" "$tsec" "$why"
done
echo
[ $kernel = 1 ] && echo "kernel: $kpass of $n pass (EXPECTED-PASS.txt: $epass_k of $etotal)"
echo "toytcp: $tpass of $n pass (EXPECTED-PASS.txt: $epass_t of $etotal)"
[ $kernel = 1 ] && echo "both:   $both of $n pass on the kernel and on toytcp"
echo "Linux-only behaviour (not copied) among the toytcp failures: $(grep -c $'\tLinux-only' "$reasons") scripts; façade/engine gaps: $(grep -v '^#' "$reasons" | grep -vc $'\tpass\|\tLinux-only')"
# The benchmark: the corpus against toytcp once more, in one plain loop, one process a script as a
# user runs them (the table's per-script timing adds a few forks per script, as much as a toytcp run
# itself takes); then all scripts in one process (`run --stack toytcp A.pkt B.pkt …`): virtual time
# alone, without 151 process start-ups.
t0=$(now)
for s in "${scripts[@]}"; do timeout 120 "$bin" run "${family[@]}" --stack toytcp "$corpus/$s" > /dev/null 2>&1; done
t1=$(now)
loop=$(echo "$t1 - $t0" | bc)
paths=(); for s in "${scripts[@]}"; do paths+=("$corpus/$s"); done
t0=$(now)
timeout 600 "$bin" run "${family[@]}" --stack toytcp "${paths[@]}" > /dev/null 2>&1
t1=$(now)
one=$(echo "$t1 - $t0" | bc)
build=$(basename "$(dirname "$bin")")
if [ $kernel = 1 ]; then
    printf 'benchmark (%s build, %d scripts): kernel %.1f s; toytcp %.2f s one process a script (%.1f ms each, process start included): %.1fx faster; toytcp %.2f s in one process: %.0fx faster (goal >= 20x)\n' \
        "$build" "$n" "$ktime" "$loop" "$(echo "$loop * 1000 / $n" | bc -l)" "$(echo "$ktime / $loop" | bc -l)" "$one" "$(echo "$ktime / $one" | bc -l)"
else
    printf 'toytcp corpus wall time (%s build, %d scripts): %.2f s one process a script, %.2f s in one process\n' "$build" "$n" "$loop" "$one"
fi
