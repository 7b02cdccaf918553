#!/bin/sh
# Throughput and peak memory of kr-batch over synthetic monthly files.
#
#   tests/bench/bench.sh [COUNT [RUNS]]  (default 1000000 applications,
#                                         3 runs of each)
#
# For each pack (pomoc społeczna; świadczenia rodzinne, the family-benefit
# rule) it generates a deterministic file (fixed seed), runs kr-batch at
# -j 1 and -j 2 with -o (output to a file, fsync'ed and renamed, as in
# production), RUNS times each, checks that all outputs are byte-identical,
# and prints applications per second, CPU time and the peak resident
# memory of each run, then the best run; then the best of RUNS runs at
# -j 2 writing to /dev/null, the engine without the disk.  Several runs
# because a virtual machine's speed varies from minute to minute.
# Not a test: numbers depend on the machine.  See doc/performance.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${KR_BIN:-$src/bin}
count=${1:-1000000}
runs=${2:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kr-bench.XXXXXX")
trap 'rm -rf "$tmp"' 0

# run CMD...: prints "seconds maxrss_kib cpu_seconds" of the child.
# GNU time when there is one; else python's os.wait4, whose peak memory
# is only an upper bound: an exec'ed child inherits the high-water mark
# of the interpreter that started it (about 13 MiB).
measure() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$@" || :
        awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$tmp/time"
        return 0
    fi
    python3 - "$@" <<'PY'
import os, sys, time
t = time.monotonic()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, ru = os.wait4(pid, 0)
dt = time.monotonic() - t
print("%.3f %d %.2f" % (dt, ru.ru_maxrss, ru.ru_utime + ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

bench() {
    name=$1 gen=$2 rules=$3
    echo "== $name: $count applications ($rules)"
    python3 "$here/$gen" --count "$count" --seed 1 > "$tmp/in.csv"
    ls -l "$tmp/in.csv" | awk '{ printf "input: %.1f MiB\n", $5 / 1048576 }'
    for j in 1 2; do
        # the real binary, not the libtool wrapper script
        b="$bin/kr-batch"
        [ -x "$bin/.libs/kr-batch" ] && b="$bin/.libs/kr-batch" &&
            export LD_LIBRARY_PATH="$src/lib/.libs:${LD_LIBRARY_PATH:-}"
        best=0 r=1
        while [ "$r" -le "$runs" ]; do
            set -- $(measure "$b" -q -j "$j" -r "$src/$rules" \
                     -o "$tmp/out.csv" "$tmp/in.csv")
            rate=$(awk -v s="$1" -v n="$count" 'BEGIN { printf "%d", n / s }')
            awk -v s="$1" -v m="$2" -v c="$3" -v n="$count" -v j="$j" \
                -v r="$r" 'BEGIN {
                printf "-j %d run %d: %.2f s, %d applications/s, CPU %.2f s, peak RSS %.1f MiB\n",
                       j, r, s, n / s, c, m / 1024 }'
            [ "$rate" -gt "$best" ] && best=$rate
            if [ -f "$tmp/first.csv" ]; then
                cmp -s "$tmp/first.csv" "$tmp/out.csv" ||
                    { echo "outputs DIFFER (-j $j run $r)"; exit 1; }
                # else the next run's rename would replace it, and the
                # time to free a deleted file's blocks (0.2 s for 564 MiB
                # on ext4) would count as kr-batch's
                rm -f "$tmp/out.csv"
            else
                mv "$tmp/out.csv" "$tmp/first.csv"
            fi
            r=$((r + 1))
        done
        echo "-j $j best: $best applications/s"
    done
    echo "all outputs identical (-j 1 and -j 2)"
    rm -f "$tmp/first.csv" "$tmp/out.csv"
    # the same without the disk: what the engine computes per second
    best=0 r=1
    while [ "$r" -le "$runs" ]; do
        set -- $(measure "$b" -q -j 2 -r "$src/$rules" -o /dev/null \
                 "$tmp/in.csv")
        rate=$(awk -v s="$1" -v n="$count" 'BEGIN { printf "%d", n / s }')
        [ "$rate" -gt "$best" ] && best=$rate
        r=$((r + 1))
    done
    echo "-j 2 to /dev/null (no disk) best: $best applications/s"
}

bench "pomoc społeczna" gen-monthly.py rules/pl/pomoc-spoleczna.xml
bench "świadczenia rodzinne" gen-family.py rules/pl/swiadczenia-rodzinne.xml
