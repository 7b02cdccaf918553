#!/bin/sh
# Every shipped rule pack, rule test and example validates against the
# XSDs in rules/schema (the documented contract of the three formats).
set -u
: "${KR_SRC:?}"
if ! command -v xmllint >/dev/null 2>&1; then
    echo "xmllint not found (Debian: libxml2-utils); skipping"
    exit 77
fi
pass=0; fail=0
check() {
    if out=$(xmllint --noout --nonet --schema "$1" "$2" 2>&1); then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL $2"; echo "$out"
    fi
}
for f in $(find "$KR_SRC/rules" -name '*.xml' | sort); do
    case "$(xmllint --xpath 'local-name(/*)' "$f" 2>/dev/null)" in
    tests) check "$KR_SRC/rules/schema/tests.xsd" "$f" ;;
    *) check "$KR_SRC/rules/schema/rules.xsd" "$f" ;;
    esac
done
for f in $(find "$KR_SRC/examples" -name '*.xml' | sort); do
    # batch files (a root around many applications) are checked by
    # tests/batch.sh through the reader itself
    [ "$(xmllint --xpath 'local-name(/*)' "$f" 2>/dev/null)" = application ] ||
        continue
    check "$KR_SRC/rules/schema/application.xsd" "$f"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
