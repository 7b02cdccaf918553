#!/bin/sh
# tests/doc-columns.sh - the CSV column lists in doc/ are not stale.
#
# doc/columns-PACK.md is the output of `kr-rules columns -r
# rules/pl/PACK.xml`.  For every such file this regenerates it into a
# temporary directory and compares; and every pack in rules/pl must have
# its file.  After changing a pack's inputs (or its version), regenerate:
#
#   for f in rules/pl/*.xml; do
#       kr-rules columns -r "$f" > "doc/columns-$(basename "$f" .xml).md"
#   done
#
# Environment: KR_BIN (built tools), KR_SRC (top source directory), as
# for tests/cli/run.sh.  Prints PASS/FAIL lines, then "N passed, M
# failed".  Exit status 0, 1 if a file differs or is missing, 99 if the
# setup is broken.

LC_ALL=C
TZ=UTC
export LC_ALL TZ
unset KR_RULES_PATH LANG LANGUAGE

here=$(cd "$(dirname "$0")" && pwd) || exit 99
KR_SRC=${KR_SRC:-$here/..}
KR_SRC=$(cd "$KR_SRC" && pwd) || exit 99
KR_BIN=${KR_BIN:-$KR_SRC/bin}
rules_tool=$KR_BIN/kr-rules

if [ ! -x "$rules_tool" ]; then
    echo "doc-columns.sh: $rules_tool not found" >&2
    exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kr-doc.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 130' HUP INT TERM

. "$here/tally.sh"

# Every checked-in list matches what the tool prints now.
for doc in "$KR_SRC"/doc/columns-*.md; do
    [ -f "$doc" ] || continue
    base=${doc##*/}
    pack=${base#columns-}
    pack=${pack%.md}
    rules=$KR_SRC/rules/pl/$pack.xml
    name="doc/$base"
    if [ ! -f "$rules" ]; then
        not_ok "$name"
        echo "    no rule pack rules/pl/$pack.xml for it: remove $name"
        continue
    fi
    if ! "$rules_tool" columns -r "$rules" > "$tmp/$base" 2> "$tmp/err"
    then
        not_ok "$name"
        sed 's/^/    /' "$tmp/err"
        continue
    fi
    if diff -u "$doc" "$tmp/$base" > "$tmp/diff" 2>&1; then
        ok "$name"
    else
        not_ok "$name"
        echo "    stale: regenerate with" \
             "kr-rules columns -r rules/pl/$pack.xml > $name"
        sed 's/^/    /' "$tmp/diff"
    fi
done

# Every pack has its list.
for rules in "$KR_SRC"/rules/pl/*.xml; do
    [ -f "$rules" ] || continue
    pack=${rules##*/}
    pack=${pack%.xml}
    if [ -f "$KR_SRC/doc/columns-$pack.md" ]; then
        ok "rules/pl/$pack.xml has doc/columns-$pack.md"
    else
        not_ok "rules/pl/$pack.xml has doc/columns-$pack.md"
        echo "    generate it with" \
             "kr-rules columns -r rules/pl/$pack.xml > doc/columns-$pack.md"
    fi
done

tally_end
