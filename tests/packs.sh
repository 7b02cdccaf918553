#!/bin/sh
# Every parameter value in every shipped rule pack has a legal source and a
# validity period, and no two periods of one parameter or scale overlap.
#
# 1. kr-rules check loads each pack: the loader refuses a value without
#    source=, values out of date order and overlapping periods.  National
#    packs (everything under rules/ except rules/gminy) are checked one by
#    one, alone; each municipal overlay (rules/gminy/*.xml) is checked
#    after all the national packs, in order (an overlay may only build on,
#    or override, names of packs loaded before it).
# 2. Independently of the loader, xmllint counts every <value> of a
#    <parameter> or <override> and every <period> of a <scale> whose from=
#    or source= is missing or blank: it must be none.
# 3. Negative controls, so that passing steps mean something: the loader
#    must refuse a pack with overlapping periods and one with an empty
#    source=; the XPath must find a source= of blanks only (which the
#    loader lets through: step 2 is not redundant).
#
# Prints "N passed, M failed"; exits 1 on failure, 77 (skip) without
# xmllint.  KR_BIN (default ./bin) holds kr-rules; KR_SRC (default .) is
# the source tree.
set -u
KR_BIN=${KR_BIN:-./bin}
KR_SRC=${KR_SRC:-.}

if ! command -v xmllint >/dev/null 2>&1; then
    echo "xmllint not found (Debian: libxml2-utils); skipping"
    exit 77
fi
if [ ! -x "$KR_BIN/kr-rules" ]; then
    echo "$KR_BIN/kr-rules not found or not executable" >&2
    exit 1
fi

pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

# Rule files (root element <rules>), outside tests/ and schema/, sorted.
rule_files() {
    find "$KR_SRC/rules" -name '*.xml' ! -path '*/tests/*' \
        ! -path '*/schema/*' | sort | while IFS= read -r f; do
        if [ "$(xmllint --nonet --xpath 'local-name(/*)' "$f" 2>/dev/null)" = rules ]; then
            printf '%s\n' "$f"
        fi
    done
}

national=$(rule_files | grep -v '/rules/gminy/' || true)
overlays=$(rule_files | grep '/rules/gminy/' || true)

if [ -z "$national" ]; then
    ko "no national rule pack under $KR_SRC/rules"
fi

# --- 1. the loader ---------------------------------------------------------

for f in $national; do
    if out=$("$KR_BIN/kr-rules" check "$f" 2>&1); then
        ok
    else
        ko "kr-rules check $f"; echo "$out"
    fi
done
for f in $overlays; do
    # shellcheck disable=SC2086 # one path per word, by construction
    if out=$("$KR_BIN/kr-rules" check $national "$f" 2>&1); then
        ok
    else
        ko "kr-rules check (national packs) $f"; echo "$out"
    fi
done

# --- 2. from= and source= on every dated value ---------------------------

# local-name() so that the check does not depend on the namespace prefix.
blank='normalize-space(@from)="" or normalize-space(@source)=""'
xp_values="//*[local-name()='parameter' or local-name()='override']/*[local-name()='value'][$blank]"
xp_periods="//*[local-name()='scale']/*[local-name()='period'][$blank]"
xp_all="count(//*[local-name()='parameter' or local-name()='override']/*[local-name()='value'] | //*[local-name()='scale']/*[local-name()='period'])"

for f in $national $overlays; do
    n=$(xmllint --nonet --xpath "count($xp_values | $xp_periods)" "$f" 2>&1)
    total=$(xmllint --nonet --xpath "$xp_all" "$f" 2>&1)
    case "$n" in
    0) ok ;;
    *[!0-9]*|'') ko "xmllint on $f: $n" ;;
    *) ko "$f: $n of $total dated values or periods without from= or source="
       xmllint --nonet --xpath "$xp_values | $xp_periods" "$f" 2>/dev/null
       echo ;;
    esac
done

# --- 3. negative controls --------------------------------------------------

tmp=${TMPDIR:-/tmp}/kr-packs.$$
mkdir "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/overlap.xml" <<'EOF'
<rules xmlns="urn:kryterium:rules:1" id="test.overlap" version="1">
  <title lang="pl">Nakładające się okresy</title>
  <parameter id="t_kwota" type="money">
    <value from="2024-01-01" until="2024-12-31" source="test">1.00</value>
    <value from="2024-12-31" source="test">2.00</value>
  </parameter>
</rules>
EOF
cat > "$tmp/nosource.xml" <<'EOF'
<rules xmlns="urn:kryterium:rules:1" id="test.nosource" version="1">
  <title lang="pl">Brak źródła</title>
  <scale id="t_skala" type="decimal">
    <period from="2024-01-01" source=""><bracket>1</bracket></period>
  </scale>
</rules>
EOF
for f in "$tmp/overlap.xml" "$tmp/nosource.xml"; do
    if "$KR_BIN/kr-rules" check "$f" >/dev/null 2>&1; then
        ko "kr-rules check accepted the bad pack $(basename "$f")"
    else
        ok
    fi
done
# A source= of blanks only: the loader tests only for an empty attribute
# and lets it through, so step 2 is what catches it.
sed 's/source=""/source="  "/' "$tmp/nosource.xml" > "$tmp/blank.xml"
n=$(xmllint --nonet --xpath "count($xp_values | $xp_periods)" "$tmp/blank.xml" 2>&1)
if [ "$n" = 1 ]; then ok; else ko "xpath missed the blank source= ($n)"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
