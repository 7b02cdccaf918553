#!/bin/sh
# tests/cli/check-json.sh - kr-calc's JSON is JSON, and no output depends
# on the locale.
#
# For every application in examples/:
#   - `kr-calc -f json` and `kr-calc -f json --explain --lang en` exit 0
#     and their output is read by a real JSON parser (python3's);
#   - every benefit has id, granted, amount and conditions; amounts and
#     range bounds are null or strings matching ^-?[0-9]+\.[0-9]+$.
# If the pl_PL.UTF-8 locale is installed, the JSON and text output under
# LC_ALL=pl_PL.UTF-8 must be byte-identical to that under LC_ALL=C (the
# tools never call setlocale; this guards against anyone who does).
# Finally, writing to /dev/full must fail with exit status 3.
#
# Environment: KR_BIN (built tools), KR_SRC (top source directory), as
# for run.sh.  Prints PASS/FAIL lines, then "N passed, M failed".  Exit
# status 0, 1 if a check failed, 77 (skip) without python3 or examples,
# 99 if the setup is broken.

LC_ALL=C
TZ=UTC
export LC_ALL TZ
unset KR_RULES_PATH LANG LANGUAGE

here=$(cd "$(dirname "$0")" && pwd) || exit 99
KR_SRC=${KR_SRC:-$here/../..}
KR_SRC=$(cd "$KR_SRC" && pwd) || exit 99
KR_BIN=${KR_BIN:-$KR_SRC/bin}
calc=$KR_BIN/kr-calc

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found"
    exit 77
fi
if [ ! -x "$calc" ]; then
    echo "check-json.sh: $calc not found" >&2
    exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kr-json.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 130' HUP INT TERM

cat > "$tmp/check.py" <<'EOF'
import json
import re
import sys

AMOUNT = re.compile(r"^-?[0-9]+\.[0-9]+$")

def money_ok(v):
    return v is None or (isinstance(v, str) and AMOUNT.match(v) is not None)

try:
    # Bytes, not text: the parser itself must find valid UTF-8.
    doc = json.loads(sys.stdin.buffer.read())
except ValueError as e:
    sys.exit("not JSON: %s" % e)
if not isinstance(doc, dict) or not isinstance(doc.get("benefits"), list):
    sys.exit('no "benefits" list')
problems = []
for i, b in enumerate(doc["benefits"]):
    if not isinstance(b, dict):
        problems.append("benefits[%d]: not an object" % i)
        continue
    where = "benefits[%d] (%s)" % (i, b.get("id"))
    for key in ("id", "granted", "amount", "conditions"):
        if key not in b:
            problems.append("%s: no %s" % (where, key))
    if not isinstance(b.get("id"), str):
        problems.append("%s: id is not a string" % where)
    if not isinstance(b.get("granted"), bool):
        problems.append("%s: granted is not true/false" % where)
    if not money_ok(b.get("amount")):
        problems.append("%s: bad amount %r" % (where, b.get("amount")))
    rng = b.get("range")
    if rng is not None and not (isinstance(rng, dict)
                                and rng.get("min") is not None
                                and rng.get("max") is not None
                                and money_ok(rng.get("min"))
                                and money_ok(rng.get("max"))):
        problems.append("%s: bad range %r" % (where, rng))
    if not isinstance(b.get("conditions"), list):
        problems.append("%s: conditions is not a list" % where)
if problems:
    sys.exit("\n".join(problems))
EOF

. "$here/../tally.sh"

# check_json NAME ARGS...: run kr-calc ARGS, expect exit 0 and good JSON.
check_json() {
    name=$1
    shift
    "$calc" "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "exit status $rc" >> "$tmp/err"
        not_ok "$name" "$tmp/err"
    elif python3 "$tmp/check.py" < "$tmp/out" 2> "$tmp/err"; then
        ok "$name"
    else
        not_ok "$name" "$tmp/err"
    fi
}

set -- "$KR_SRC"/examples/*.xml
if [ ! -f "$1" ]; then
    echo "SKIP: no applications in $KR_SRC/examples"
    exit 77
fi

for app in "$@"; do
    short=examples/${app##*/}
    check_json "$short json" -f json "$app"
    check_json "$short json explain en" -f json --explain --lang en "$app"
done

# The locale's name as `locale -a` spells it (pl_PL.utf8, pl_PL.UTF-8).
pl=$(locale -a 2>/dev/null | grep -i -x 'pl_PL\.utf-\{0,1\}8' | head -n 1)
if [ -z "$pl" ]; then
    echo "SKIP locale: pl_PL.UTF-8 is not installed (locale -a)"
else
    for app in "$@"; do
        short=examples/${app##*/}
        for fmt in json text; do
            LC_ALL=C "$calc" -f "$fmt" "$app" > "$tmp/c" 2>&1
            LC_ALL=$pl "$calc" -f "$fmt" "$app" > "$tmp/pl" 2>&1
            if cmp -s "$tmp/c" "$tmp/pl"; then
                ok "$short $fmt LC_ALL=$pl"
            else
                diff -u "$tmp/c" "$tmp/pl" > "$tmp/diff"
                not_ok "$short $fmt LC_ALL=$pl" "$tmp/diff"
            fi
        done
    done
fi

if [ -w /dev/full ]; then
    "$calc" -f json "$1" > /dev/full 2> "$tmp/err"
    rc=$?
    if [ "$rc" -eq 3 ] && [ -s "$tmp/err" ]; then
        ok "write error (/dev/full) exits 3"
    else
        echo "exit status $rc, expected 3 and a message" >> "$tmp/err"
        not_ok "write error (/dev/full) exits 3" "$tmp/err"
    fi
fi

tally_end
