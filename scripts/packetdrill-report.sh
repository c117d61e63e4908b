#!/usr/bin/env bash
# Runs the packetdrill corpus (../shared/packetdrill/linux-selftests) with `toytcp-shell run FILE.pkt`
# against the kernel and prints a table: script, in EXPECTED-PASS.txt, kernel result, wall time, the
# first line of the failure; then the totals. Needs root (namespaces, tun).
#
#   scripts/packetdrill-report.sh [--expected-only] [--bin PATH] [--corpus DIR] [SCRIPT.pkt…]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/.build/debug/toytcp-shell"
corpus="$here/../shared/packetdrill/linux-selftests"
[ -d "$corpus" ] || corpus=/work/shared/packetdrill/linux-selftests
expected_only=0
scripts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --expected-only) expected_only=1 ;;
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
[ -x "$bin" ] || { echo "no $bin: run 'swift build --product toytcp-shell' first" >&2; exit 2; }
printf '%-62s %-8s %-7s %8s  %s\n' script expected kernel seconds "first error"
pass=0; fail=0; epass=0; etotal=0; start_all=$(date +%s.%N)
for s in "${scripts[@]}"; do
    in_list=no; grep -qx "$s" "$expected" && in_list=yes
    t0=$(date +%s.%N)
    out=$(timeout 120 "$bin" run "$corpus/$s" 2>&1); rc=$?
    t1=$(date +%s.%N)
    if [ $rc = 0 ]; then res=pass; pass=$((pass+1)); why=""
    else res=FAIL; fail=$((fail+1)); why=$(printf '%s\n' "$out" | grep -m1 -E "^$s:" | cut -c1-110); fi
    if [ $in_list = yes ]; then etotal=$((etotal+1)); [ $rc = 0 ] && epass=$((epass+1)); fi
    printf '%-62s %-8s %-7s %8.2f  %s\n' "$s" "$in_list" "$res" "$(echo "$t1 - $t0" | bc)" "$why"
done
end_all=$(date +%s.%N)
echo
echo "kernel: $pass passed, $fail failed of $((pass+fail)); EXPECTED-PASS: $epass of $etotal; wall $(echo "$end_all - $start_all" | bc) s"
