#!/bin/sh
# Throughput and peak memory of kr-batch over synthetic monthly files.
#
#   tests/bench/bench.sh [COUNT]        (default 1000000 applications)
#
# For each pack (pomoc społeczna; świadczenia rodzinne, the family-benefit
# rule) it generates a deterministic file (fixed seed), runs kr-batch at
# -j 1 and -j 2, checks that both outputs are byte-identical, and prints
# applications per second and the peak resident memory of the process.
# Not a test: numbers depend on the machine.  See doc/performance.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${KR_BIN:-$src/bin}
count=${1:-1000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kr-bench.XXXXXX")
trap 'rm -rf "$tmp"' 0

# run CMD...: prints "seconds maxrss_kib" of the child (python's
# resource module: no dependency on GNU time)
measure() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:])
dt = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %d" % (dt, ru.ru_maxrss))
sys.exit(rc)
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
        set -- $(measure "$b" -q -j "$j" -r "$src/$rules" \
                 -o "$tmp/out$j.csv" "$tmp/in.csv")
        awk -v s="$1" -v m="$2" -v n="$count" -v j="$j" 'BEGIN {
            printf "-j %d: %.2f s, %d applications/s, peak RSS %.1f MiB\n",
                   j, s, n / s, m / 1024 }'
    done
    if cmp -s "$tmp/out1.csv" "$tmp/out2.csv"; then
        echo "-j 1 and -j 2 outputs identical"
    else
        echo "-j 1 and -j 2 outputs DIFFER"; exit 1
    fi
}

bench "pomoc społeczna" gen-monthly.py rules/pl/pomoc-spoleczna.xml
bench "świadczenia rodzinne" gen-family.py rules/pl/swiadczenia-rodzinne.xml
