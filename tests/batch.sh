#!/bin/sh
# tests/batch.sh - kr-batch end to end, on generated monthly files.
#
#  a. determinism: -j 1, -j 2 and -j 4 give byte-identical output (CSV and
#     JSON Lines, results and --errors) on 20 000 applications with a bad
#     one every 97th, and the counts reconcile: the summary says read =
#     computed + rejected, and the output holds one error row per rejected
#     application and, per benefit, as many rows as the summary counts;
#  b. sharding with GNU parallel (skipped without `parallel`): cut at
#     blank lines (--recend '\n\n') and grouped by application_id
#     (--group-by), the shards' output equals one process's, and the
#     shards' summaries add up to its summary; and the shard files of
#     the Hadoop/Spark recipe, run one by one, give the same;
#  c. crash and resume: kr-batch -o on 200 000 applications killed with
#     SIGKILL after its first checkpoint, then --resume -j 2 killed again
#     (up to three times), then --resume to the end: the output, the
#     --errors file and the summary are byte-identical to an uninterrupted
#     run's, every application is there once, and no FILE.part or
#     FILE.ckpt is left (checkpoints every 100 ms, through
#     KR_BATCH_CHECKPOINT_MS, so that the crashes fit in a short run);
#  d. kr-batch agrees with kr-calc: every application of the XML example
#     and 50 sampled from the generated file, each run alone through
#     kr-calc -f json, give the same verdict and amount per benefit (and a
#     rejected application is refused by both);
#  e. the CSV and XML examples give the same results;
#  f. odds and ends: --progress, a billion-laughs batch, a full disk.
#
# Shards number their lines from their own first line, so the `line`
# column of sharded output counts lines of the shard: (b) compares with
# line numbers blanked out, and byte for byte with --no-line-numbers
# (doc/batch.md says so).
#
# Environment: KR_BIN (built tools), KR_SRC (top source directory), as for
# tests/cli/run.sh; KR_BATCH_BIG: applications in the crash test (default
# 200000; kr-batch must need more than a few tenths of a second for
# them); KR_BATCH_PARTS: the parts to run (default "a b c d e f").  Needs
# python3 (exit 77, skipped, without it); GNU parallel for part b.
# Prints PASS/FAIL/SKIP lines, then "N passed, M failed"; exit status 0,
# 1 if a check failed, 99 if the setup is broken.

LC_ALL=C
TZ=UTC
export LC_ALL TZ
unset KR_RULES_PATH LANG LANGUAGE

here=$(cd "$(dirname "$0")" && pwd) || exit 99
KR_SRC=${KR_SRC:-$here/..}
KR_SRC=$(cd "$KR_SRC" && pwd) || exit 99
KR_BIN=${KR_BIN:-$KR_SRC/bin}
big_count=${KR_BATCH_BIG:-200000}
parts=${KR_BATCH_PARTS:-a b c d e f}
batch=$KR_BIN/kr-batch
calc=$KR_BIN/kr-calc
rules=$KR_SRC/rules/pl/pomoc-spoleczna.xml
gen=$KR_SRC/tests/bench/gen-monthly.py
examples=$KR_SRC/examples/batch

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found"
    exit 77
fi
for f in "$batch" "$calc"; do
    if [ ! -x "$f" ]; then
        echo "batch.sh: $f not found" >&2
        exit 99
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kr-batch-test.XXXXXX") || exit 99
bgpid=
cleanup() {
    if [ -n "$bgpid" ]; then
        kill -9 "$bgpid" 2>/dev/null
    fi
    [ -n "${KR_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup 0
trap 'exit 130' HUP INT TERM

. "$here/tally.sh"
# check NAME COMMAND...: PASS when the command succeeds; its output is
# shown, indented, when it fails.
check() {
    name=$1
    shift
    if "$@" > "$tmp/check.out" 2>&1; then
        ok "$name"
    else
        not_ok "$name" "$tmp/check.out"
    fi
}
# Summary without its timing lines.
strip_times() {
    sed -e '/^elapsed: /d' -e '/^throughput: /d' "$1"
}
same_summary() {
    strip_times "$1" > "$tmp/s1" && strip_times "$2" > "$tmp/s2" &&
        diff -u "$tmp/s1" "$tmp/s2"
}
# part X: true when part X is to run.
part() {
    case " $parts " in
    *" $1 "*) return 0 ;;
    esac
    return 1
}
nap() {
    sleep 0.1 2>/dev/null || sleep 1
}

# ------------------------------------------------------------- helpers
cat > "$tmp/reconcile.py" <<'EOF'
# reconcile.py SUMMARY OUTPUT.csv [ERRORS.csv] [EXPECTED_READ EXPECTED_REJ]
# The summary's counts against the rows of the output.
import csv, re, sys
summ = open(sys.argv[1], encoding="utf-8").read()
def num(key):
    m = re.search(r"^%s: (\d+)$" % re.escape(key), summ, re.M)
    if not m:
        sys.exit("summary has no '%s'" % key)
    return int(m.group(1))
read, computed, rejected = (num("applications read"), num("computed"),
                            num("rejected"))
bad = []
if read != computed + rejected:
    bad.append("read %d != computed %d + rejected %d"
               % (read, computed, rejected))
if "reconciled: yes" not in summ:
    bad.append("summary does not say 'reconciled: yes'")
rows = []
for path in sys.argv[2:4]:
    if path.endswith(".csv"):
        rows += list(csv.DictReader(open(path, encoding="utf-8", newline="")))
extra = [a for a in sys.argv[2:] if not a.endswith(".csv")]
ids = set(r["application_id"] for r in rows)
rej = [r for r in rows if r["status"] == "error" and r["benefit"] == ""]
if len(ids) != read:
    bad.append("%d distinct application ids in the output, read %d"
               % (len(ids), read))
if len(rej) != rejected:
    bad.append("%d error rows without a benefit, rejected %d"
               % (len(rej), rejected))
if len(set(r["application_id"] for r in rej)) != len(rej):
    bad.append("an application has two error rows")
per = {}
for r in rows:
    if r["benefit"]:
        k = per.setdefault(r["benefit"], {"eligible": 0, "ineligible": 0,
                                          "error": 0})
        k[r["status"]] += 1
for m in re.finditer(r"^benefit (\S+): eligible (\d+), ineligible (\d+), "
                     r"errors (\d+)", summ, re.M):
    got = per.get(m.group(1), {"eligible": 0, "ineligible": 0, "error": 0})
    want = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
    have = (got["eligible"], got["ineligible"], got["error"])
    if want != have:
        bad.append("benefit %s: summary %s, rows %s" % (m.group(1), want,
                                                         have))
if extra:
    if read != int(extra[0]) or rejected != int(extra[1]):
        bad.append("read %d rejected %d, expected %s %s"
                   % (read, rejected, extra[0], extra[1]))
if bad:
    sys.exit("\n".join(bad))
print("read %d = computed %d + rejected %d; %d rows"
      % (read, computed, rejected, len(rows)))
EOF

cat > "$tmp/sumsum.py" <<'EOF'
# sumsum.py ONE SHARD...: the shards' summaries add up to ONE's.
import re, sys
from fractions import Fraction
def parse(path):
    s = open(path, encoding="utf-8").read()
    d = {}
    for k in ("applications read", "computed", "rejected"):
        d[k] = int(re.search(r"^%s: (\d+)$" % k, s, re.M).group(1))
    for m in re.finditer(r"^benefit (\S+): eligible (\d+), ineligible "
                         r"(\d+), errors (\d+), total ([^,\s]+)", s, re.M):
        d[m.group(1)] = (int(m.group(2)), int(m.group(3)),
                         int(m.group(4)), Fraction(m.group(5)))
    return d
one = parse(sys.argv[1])
tot = {}
for p in sys.argv[2:]:
    for k, v in parse(p).items():
        if isinstance(v, int):
            tot[k] = tot.get(k, 0) + v
        else:
            o = tot.get(k, (0, 0, 0, Fraction(0)))
            tot[k] = tuple(a + b for a, b in zip(o, v))
if tot != one:
    sys.exit("shards: %r\none process: %r" % (tot, one))
print("%d shards add up" % (len(sys.argv) - 2))
EOF

# Line numbers out: the line column and "line N" in messages.
cat > "$tmp/noline.py" <<'EOF'
import csv, re, sys
w = csv.writer(sys.stdout, lineterminator="\n")
for row in csv.reader(open(sys.argv[1], encoding="utf-8", newline="")):
    if row and row[0] != "application_id":
        row[1] = "L"
    w.writerow([re.sub(r"\bline \d+", "line L", c) for c in row])
EOF

# Single applications for kr-calc: from the batch XML file (as text, so
# nothing is re-serialised) or from generated CSV rows.
cat > "$tmp/split.py" <<'EOF'
# split.py xml FILE.xml OUTDIR  |  split.py csv FILE.csv COLUMNS.md N OUTDIR
import csv, os, random, re, sys
from xml.sax.saxutils import quoteattr, escape
head = '<?xml version="1.0" encoding="UTF-8"?>\n'
if sys.argv[1] == "xml":
    text = open(sys.argv[2], encoding="utf-8").read()
    out = sys.argv[3]
    apps = re.findall(r"<application\s.*?</application>", text, re.S)
    for i, a in enumerate(apps):
        aid = re.search(r'\bid="([^"]*)"', a).group(1)
        with open(os.path.join(out, "%04d.xml" % i), "w",
                  encoding="utf-8") as f:
            f.write(head + a + "\n")
        print("%04d.xml\t%s" % (i, aid))
    sys.exit(0)
src, cols_md, n, out = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
entity = {}
for line in open(cols_md, encoding="utf-8"):
    m = re.match(r"^\| `([^`]+)` \| (\w+) \|", line)
    if m and m.group(1) not in ("application_id", "date", "person_id",
                                "role", "benefits"):
        entity[m.group(1)] = m.group(2)
rows = list(csv.DictReader(open(src, encoding="utf-8", newline="")))
apps = {}
order = []
for r in rows:
    if r["application_id"] not in apps:
        order.append(r["application_id"])
        apps[r["application_id"]] = []
    apps[r["application_id"]].append(r)
pick = sorted(random.Random(1).sample(range(len(order)), n))
for i in pick:
    aid = order[i]
    rs = apps[aid]
    x = ['<application xmlns="urn:kryterium:application:1" id=%s date=%s>'
         % (quoteattr(aid), quoteattr(rs[0]["date"]))]
    ben = [r["benefits"] for r in rs if r.get("benefits")]
    if ben:
        x.append("<benefits>" + "".join('<benefit id=%s/>' % quoteattr(b)
                                        for b in ben[0].split())
                 + "</benefits>")
    hh = {}
    for r in rs:
        for k, v in r.items():
            if v and entity.get(k) == "household" and k not in hh:
                hh[k] = v
    if hh:
        x.append("<household>" + "".join("<%s>%s</%s>" % (k, escape(v), k)
                                          for k, v in hh.items())
                 + "</household>")
    for j, r in enumerate(rs):
        pid = r.get("person_id") or "p%d" % (j + 1)
        x.append('<person id=%s role=%s>' % (quoteattr(pid),
                                             quoteattr(r["role"])))
        inc = {}
        for k, v in r.items():
            if not v:
                continue
            if entity.get(k) == "person":
                x.append("<%s>%s</%s>" % (k, escape(v), k))
            elif k.startswith("income."):
                _, num, name = k.split(".", 2)
                inc.setdefault(int(num), []).append((name, v))
        for num in sorted(inc):
            x.append("<income " + " ".join("%s=%s" % (k, quoteattr(v))
                                           for k, v in inc[num]) + "/>")
        x.append("</person>")
    x.append("</application>")
    name = "g%05d.xml" % i
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(head + "\n".join(x) + "\n")
    print("%s\t%s" % (name, aid))
EOF

# compare.py LIST DIR BATCH-OUTPUT: kr-calc's JSON (DIR/NAME.json, with
# DIR/NAME.rc) against kr-batch's rows (CSV or JSON Lines).
cat > "$tmp/compare.py" <<'EOF'
import csv, json, os, sys
lst, d, bo = sys.argv[1:4]
batch = {}
if bo.endswith(".jsonl"):
    rows = [json.loads(l) for l in open(bo, encoding="utf-8")]
else:
    rows = list(csv.DictReader(open(bo, encoding="utf-8", newline="")))
for r in rows:
    b = batch.setdefault(r["application_id"], {})
    if not r["benefit"]:
        b[None] = "rejected"
    else:
        amt = r["amount"] or None
        b[r["benefit"]] = (r["status"], amt)
bad = []
n = 0
for line in open(lst, encoding="utf-8"):
    name, aid = line.rstrip("\n").split("\t")
    base = os.path.join(d, name[:-4])
    rc = int(open(base + ".rc").read())
    got = batch.get(aid)
    n += 1
    if got is None:
        bad.append("%s: not in kr-batch's output" % aid)
        continue
    if rc == 1:
        if got.get(None) != "rejected":
            bad.append("%s: kr-calc refused it, kr-batch did not" % aid)
        continue
    if rc != 0:
        bad.append("%s: kr-calc exit status %d" % (aid, rc))
        continue
    if None in got:
        bad.append("%s: kr-batch rejected it, kr-calc did not" % aid)
        continue
    res = json.load(open(base + ".json", encoding="utf-8"))
    calc = {}
    for b in res["benefits"]:
        calc[b["id"]] = ("eligible" if b["granted"] else "ineligible",
                         b["amount"])
    if calc != got:
        bad.append("%s:\n  kr-calc  %s\n  kr-batch %s" % (aid, calc, got))
if bad:
    sys.exit("\n".join(bad))
print("%d applications agree" % n)
EOF

# The results of kr-batch CSV output but for line numbers; rejected
# applications by id only.
cat > "$tmp/results.py" <<'EOF'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")):
    if r["status"] == "error" and not r["benefit"]:
        print(r["application_id"], "rejected")
    else:
        print(r["application_id"], r["benefit"], r["status"], r["amount"],
              r["range_min"], r["range_max"], r["failed_conditions"])
EOF

# A billion laughs: 16^6 copies of 60 bytes if expanded.
cat > "$tmp/laughs.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE applications [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<applications>
  <application xmlns="urn:kryterium:application:1" id="&g;" date="2025-03-03">
    <person id="p1" role="applicant"><plec>&g;</plec></person>
  </application>
</applications>
EOF

# 20 000 applications, every 97th bad (a date 2025-02-30).
count=20000
rejected=$((count / 97))
python3 "$gen" --count "$count" --seed 7 --bad-every 97 > "$tmp/g.csv" ||
    exit 99

# ---------------------------------------------------- a. determinism
if part a; then
    for j in 1 2 4; do
        "$batch" -q -r "$rules" -j "$j" --summary "$tmp/sum.$j" \
            "$tmp/g.csv" > "$tmp/out.$j.csv"
        echo $? > "$tmp/rc.$j"
        "$batch" -q -r "$rules" -j "$j" -f jsonl --errors "$tmp/err.$j.jsonl" \
            - < "$tmp/g.csv" > "$tmp/out.$j.jsonl"
        echo $? > "$tmp/rc.j$j"
    done
    check "a: exit status 1 (records were rejected), whatever -j" \
        sh -c 'for f in "$1"/rc.*; do [ "$(cat "$f")" = 1 ] || exit 1; done' \
        sh "$tmp"
    check "a: CSV output -j 2 = -j 1" cmp "$tmp/out.1.csv" "$tmp/out.2.csv"
    check "a: CSV output -j 4 = -j 1" cmp "$tmp/out.1.csv" "$tmp/out.4.csv"
    check "a: JSON Lines -j 2 = -j 1" cmp "$tmp/out.1.jsonl" "$tmp/out.2.jsonl"
    check "a: JSON Lines -j 4 = -j 1" cmp "$tmp/out.1.jsonl" "$tmp/out.4.jsonl"
    check "a: --errors file -j 4 = -j 1" \
        cmp "$tmp/err.1.jsonl" "$tmp/err.4.jsonl"
    check "a: summary -j 2 = -j 1" same_summary "$tmp/sum.1" "$tmp/sum.2"
    check "a: summary -j 4 = -j 1" same_summary "$tmp/sum.1" "$tmp/sum.4"
    check "a: counts reconcile ($count read, $rejected rejected)" \
        python3 "$tmp/reconcile.py" "$tmp/sum.4" "$tmp/out.4.csv" \
        "$count" "$rejected"
    check "a: the --errors file holds only error rows, the output none" \
        sh -c '! grep -q "\"status\":\"error\"" "$1/out.1.jsonl" &&
               ! grep -v "\"status\":\"error\"" "$1/err.1.jsonl" | grep -q . &&
               [ "$(wc -l < "$1/err.1.jsonl")" -ge "$2" ]' \
        sh "$tmp" "$rejected"
fi

# ------------------------------------------------------- b. sharding
if part b; then
    if ! command -v parallel >/dev/null 2>&1; then
        echo "SKIP b: GNU parallel not installed (apt-get install parallel)"
    else
        python3 "$gen" --count "$count" --seed 7 --bad-every 97 \
            --blank-between > "$tmp/gb.csv" || exit 99
        "$batch" -q -r "$rules" --summary "$tmp/sum.one" - \
            < "$tmp/gb.csv" > "$tmp/one.csv"
        mkdir "$tmp/shards"
        # The documented command (doc/batch.md): the first shard writes the
        # header row; --block small enough for several shards.
        parallel --pipe --keep-order --header 1 --recend '\n\n' \
            --block 300k "\"$batch\" -q -r \"$rules\" \
             --summary \"$tmp/shards/sum.{#}\" \
             \$( [ {#} -gt 1 ] && echo --no-header )" \
            < "$tmp/gb.csv" > "$tmp/sharded.csv"
        prc=$?
        nshards=$(ls "$tmp/shards" | wc -l)
        check "b: parallel --recend: $nshards shards; exit status $prc" \
            sh -c '[ "$1" -ge 3 ] && [ "$2" -ge 1 ] && [ "$2" -le "$1" ]' \
            sh "$nshards" "$prc"
        python3 "$tmp/noline.py" "$tmp/one.csv" > "$tmp/one.noline"
        python3 "$tmp/noline.py" "$tmp/sharded.csv" > "$tmp/sharded.noline"
        check "b: parallel --recend (blank lines) output = one process" \
            cmp "$tmp/one.noline" "$tmp/sharded.noline"
        check "b: the shards' summaries add up to one process's" \
            python3 "$tmp/sumsum.py" "$tmp/sum.one" "$tmp"/shards/sum.*
        # With --no-line-numbers the sharded output is byte-identical.
        "$batch" -q --no-line-numbers -r "$rules" - \
            < "$tmp/gb.csv" > "$tmp/one-nl.csv"
        parallel --pipe --keep-order --header 1 --recend '\n\n' \
            --block 300k "\"$batch\" -q --no-line-numbers -r \"$rules\" \
             \$( [ {#} -gt 1 ] && echo --no-header )" \
            < "$tmp/gb.csv" > "$tmp/sharded-nl.csv"
        check "b: parallel with --no-line-numbers: byte-identical" \
            cmp "$tmp/one-nl.csv" "$tmp/sharded-nl.csv"

        # Shard files for a cluster (doc/batch.md, Hadoop and Spark): cut
        # without the header, each run alone behind the header, the
        # results concatenated in shard-name order.
        mkdir "$tmp/cluster"
        head -n 1 "$tmp/gb.csv" > "$tmp/header.csv"
        tail -n +2 "$tmp/gb.csv" |
            parallel --pipe --recend '\n\n' --block 300k \
                "cat > \"$tmp/cluster/shard-\$(printf %05d {#}).csv\""
        for f in "$tmp"/cluster/shard-*.csv; do
            { cat "$tmp/header.csv"; cat "$f"; } |
                "$batch" -q -r "$rules" --no-header
            [ $? -le 1 ] || echo "kr-batch failed on $f" >&2
        done > "$tmp/cluster.body" 2> "$tmp/cluster.err"
        { head -n 1 "$tmp/one.csv"; cat "$tmp/cluster.body"; } \
            > "$tmp/cluster.csv"
        python3 "$tmp/noline.py" "$tmp/cluster.csv" > "$tmp/cluster.noline"
        check "b: whole-application shard files, one by one = one process" \
            sh -c '[ ! -s "$1" ] && [ "$(ls "$2" | wc -l)" -ge 3 ] &&
                   cmp "$3" "$4"' sh "$tmp/cluster.err" "$tmp/cluster" \
            "$tmp/one.noline" "$tmp/cluster.noline"

        # Without blank lines: parallel groups the rows by application_id.
        "$batch" -q -r "$rules" - < "$tmp/g.csv" > "$tmp/one2.csv"
        if parallel --pipe --keep-order --header 1 --colsep , \
               --group-by application_id --block 300k \
               "\"$batch\" -q -r \"$rules\" --no-header" \
               < "$tmp/g.csv" > "$tmp/sharded2.body" 2> "$tmp/par2.err" ||
           [ -s "$tmp/sharded2.body" ]; then
            { head -n 1 "$tmp/one2.csv"; cat "$tmp/sharded2.body"; } \
                > "$tmp/sharded2.csv"
            python3 "$tmp/noline.py" "$tmp/one2.csv" > "$tmp/one2.noline"
            python3 "$tmp/noline.py" "$tmp/sharded2.csv" \
                > "$tmp/sharded2.noline"
            check "b: parallel --group-by application_id = one process" \
                cmp "$tmp/one2.noline" "$tmp/sharded2.noline"
        else
            echo "SKIP b: this parallel has no --group-by:" \
                 "$(head -n 1 "$tmp/par2.err")"
        fi
    fi
fi

# ------------------------------------------------ c. crash and resume
if part c; then
    python3 "$gen" --count "$big_count" --seed 3 --bad-every 101 \
        > "$tmp/big.csv" || exit 99
    "$batch" -q -r "$rules" -o "$tmp/ref.csv" \
        --errors "$tmp/ref-errors.csv" --summary "$tmp/ref.sum" "$tmp/big.csv"
    refrc=$?
    out=$tmp/res.csv
    run_bg() {
        "$batch" -q -r "$rules" -o "$out" --errors "$tmp/res-errors.csv" \
            --summary "$tmp/res.sum" "$@" "$tmp/big.csv" &
        bgpid=$!
    }
    ckpt_read() {
        sed -n 's/^read //p' "$out.ckpt" 2>/dev/null
    }
    # Kill -9 once the checkpoint says more than $1 applications are
    # written; 0 if it was killed, 1 if it ended first.
    kill_after() {
        i=0
        while kill -0 "$bgpid" 2>/dev/null && [ "$i" -lt 600 ]; do
            r=$(ckpt_read)
            if [ -n "$r" ] && [ "$r" -gt "$1" ]; then
                nap
                kill -9 "$bgpid" 2>/dev/null
                wait "$bgpid" 2>/dev/null
                st=$?
                bgpid=
                [ "$st" -eq 137 ] && return 0
                return 1
            fi
            nap
            i=$((i + 1))
        done
        wait "$bgpid" 2>/dev/null
        bgpid=
        return 1
    }
    # Checkpoints every 100 ms instead of every second: several crashes
    # fit in a run of a second or two.
    KR_BATCH_CHECKPOINT_MS=100
    export KR_BATCH_CHECKPOINT_MS
    run_bg -j 1
    if kill_after 0; then
        first=$(ckpt_read)
        ok "c: killed with SIGKILL after $first applications were written"
        check "c: FILE.part and FILE.ckpt are there after the crash" \
            test -f "$out.part" -a -f "$out.ckpt" -a ! -f "$out"
        cp "$out.part" "$tmp/part.before"
        "$batch" -q -r "$rules" -f jsonl --resume -o "$out" \
            --errors "$tmp/res-errors.csv" "$tmp/big.csv" 2> "$tmp/opt.err"
        rc=$?
        check "c: --resume with another -f refused (exit 2), nothing changed" \
            sh -c '[ "$1" -eq 2 ] && grep -q "other options" "$2" &&
                   cmp "$3.part" "$4"' sh "$rc" "$tmp/opt.err" "$out" \
            "$tmp/part.before"
        head -n 1000 "$tmp/big.csv" > "$tmp/short.csv"
        "$batch" -q -r "$rules" --resume -o "$out" \
            --errors "$tmp/res-errors.csv" "$tmp/short.csv" 2> "$tmp/opt.err"
        rc=$?
        check "c: --resume on a shorter input refused (exit 2)" \
            sh -c '[ "$1" -eq 2 ] && grep -q "shorter" "$2" &&
                   cmp "$3.part" "$4"' sh "$rc" "$tmp/opt.err" "$out" \
            "$tmp/part.before"
        # Crash the resumed run too, a few times, with threads.
        kills=1
        last=$first
        while [ "$kills" -lt 4 ]; do
            run_bg -j 2 --resume
            kill_after "$last" || break
            last=$(ckpt_read)
            kills=$((kills + 1))
        done
        echo "     ($kills crashes, the last at $last applications)"
        unset KR_BATCH_CHECKPOINT_MS
        "$batch" -q -r "$rules" -j 2 --resume -o "$out" \
            --errors "$tmp/res-errors.csv" --summary "$tmp/res.sum" \
            "$tmp/big.csv"
        rc=$?
        check "c: --resume exit status $rc = uninterrupted $refrc" \
            test "$rc" -eq "$refrc"
        check "c: resumed output = uninterrupted output" \
            cmp "$tmp/ref.csv" "$out"
        check "c: resumed --errors file = uninterrupted" \
            cmp "$tmp/ref-errors.csv" "$tmp/res-errors.csv"
        check "c: resumed summary = uninterrupted" \
            same_summary "$tmp/ref.sum" "$tmp/res.sum"
        check "c: no FILE.part, FILE.ckpt left" \
            sh -c '! ls "$1".part "$1".ckpt "$1".ckpt.tmp "$2".part \
                       2>/dev/null | grep -q .' \
            sh "$out" "$tmp/res-errors.csv"
        check "c: every application exactly once" \
            python3 "$tmp/reconcile.py" "$tmp/res.sum" "$out" \
            "$tmp/res-errors.csv" "$big_count" "$((big_count / 101))"
    else
        not_ok "c: kr-batch finished before it could be killed" \
               "(raise KR_BATCH_BIG)"
    fi
fi

# ---------------------------------------------- d. kr-batch = kr-calc
if part d; then
    mkdir "$tmp/one-xml" "$tmp/one-gen"
    "$KR_BIN/kr-rules" columns -r "$rules" > "$tmp/columns.md" || exit 99
    python3 "$tmp/split.py" xml "$examples/miesiac-2025-03.xml" \
        "$tmp/one-xml" > "$tmp/list-xml" || exit 99
    python3 "$tmp/split.py" csv "$tmp/g.csv" "$tmp/columns.md" 50 \
        "$tmp/one-gen" > "$tmp/list-gen" || exit 99
    for d in one-xml one-gen; do
        for f in "$tmp/$d"/*.xml; do
            "$calc" -r "$rules" -f json "$f" > "${f%.xml}.json" 2>/dev/null
            echo $? > "${f%.xml}.rc"
        done
    done
    "$batch" -q -r "$rules" -f jsonl "$examples/miesiac-2025-03.xml" \
        > "$tmp/ex-xml.jsonl"
    "$batch" -q -r "$rules" "$tmp/g.csv" > "$tmp/g-out.csv"
    check "d: kr-calc = kr-batch on the 30 applications of the XML example" \
        python3 "$tmp/compare.py" "$tmp/list-xml" "$tmp/one-xml" \
        "$tmp/ex-xml.jsonl"
    check "d: kr-calc = kr-batch on 50 generated applications" \
        python3 "$tmp/compare.py" "$tmp/list-gen" "$tmp/one-gen" \
        "$tmp/g-out.csv"
fi

# ------------------------------------------ e. CSV and XML examples
if part e; then
    "$batch" -q -r "$rules" "$examples/miesiac-2025-03.csv" > "$tmp/ex.csv"
    "$batch" -q -r "$rules" "$examples/miesiac-2025-03.xml" > "$tmp/ex-x.csv"
    # The results but for line numbers; rejected applications by id only
    # (the XML example's third bad application is bad in an XML way).
    python3 "$tmp/results.py" "$tmp/ex.csv" > "$tmp/ex.res"
    python3 "$tmp/results.py" "$tmp/ex-x.csv" > "$tmp/ex-x.res"
    check "e: the CSV and XML examples give the same results" \
        diff -u "$tmp/ex.res" "$tmp/ex-x.res"
    check "e: the examples: 30 applications, 3 rejected" \
        sh -c '[ "$(cut -d" " -f1 "$1" | sort -u | wc -l)" -eq 30 ] &&
               [ "$(grep -c " rejected$" "$1")" -eq 3 ]' sh "$tmp/ex.res"
fi

# ------------------------------------------------------ f. odds and ends
if part f; then
    "$batch" -q -r "$rules" --progress "$examples/miesiac-2025-03.csv" \
        > /dev/null 2> "$tmp/progress"
    check "f: --progress reports on standard error" \
        grep -q "30 applications" "$tmp/progress"
    "$batch" -q -r "$rules" --no-progress "$examples/miesiac-2025-03.csv" \
        > /dev/null 2> "$tmp/progress"
    check "f: --no-progress (and no tty): nothing on standard error" \
        test ! -s "$tmp/progress"
    if command -v timeout >/dev/null 2>&1; then
        to="timeout 20"
    else
        to=
    fi
    # shellcheck disable=SC2086
    $to "$batch" -q -r "$rules" -f jsonl "$tmp/laughs.xml" \
        > "$tmp/laughs.out" 2> "$tmp/laughs.err"
    rc=$?
    check "f: a billion-laughs batch is refused at once (exit 1, no rows)" \
        sh -c '[ "$1" -eq 1 ] && [ ! -s "$2" ]' sh "$rc" "$tmp/laughs.out"
    if [ -w /dev/full ]; then
        "$batch" -q -r "$rules" "$examples/miesiac-2025-03.csv" > /dev/full \
            2> /dev/null
        rc=$?
        check "f: writing to a full disk: exit status 3" test "$rc" -eq 3
    fi
fi

tally_end
