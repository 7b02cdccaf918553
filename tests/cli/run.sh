#!/bin/sh
# tests/cli/run.sh - golden-file tests of the command-line tools.
#
# Every case is a directory tests/cli/<tool>/<NNN-name>/ holding
#   cmd              the command, one argument a line; the first line is
#                    the tool (kr-calc); every line is one argument, an
#                    empty line an empty argument; @SRC@ stands for the
#                    absolute top source directory.  A first line holding
#                    a slash names a helper script instead (e.g.
#                    @SRC@/tests/cli/kr-batch-sh), run as is (not under
#                    valgrind: the helper applies KR_VALGRIND itself); it
#                    finds the tools through $KR_BIN
#   stdin            optional standard input (else /dev/null)
#   expected.stdout  expected standard output
#   expected.stderr  expected standard error
#   expected.rc      expected exit status
# The absolute source directory in the outputs is replaced by @SRC@
# before comparing, so that the files do not depend on the checkout.
#
# Environment:
#   KR_BIN         directory of the built tools (default: SRC/bin)
#   KR_SRC         top source directory (default: this script's ../..)
#   UPDATE_GOLDEN  1: write the expected files from what the tools do now
#                  (then review the diff like code)
#   KR_VALGRIND    set: run each tool under valgrind (leaks are failures)
#   KR_TIMEOUT     seconds a case may take (default 60, 600 under valgrind)
# Arguments: optional substrings; only cases whose name holds one run.
#
# Prints "PASS name" / "FAIL name" (with the differences) per case, then
# "N passed, M failed".  Exit status 0, 1 if a case failed, 99 (automake's
# hard error) if the setup is broken.

LC_ALL=C
TZ=UTC
export LC_ALL TZ
# Hermetic: the tools must find the source tree's rules on their own.
unset KR_RULES_PATH LANG LANGUAGE

here=$(cd "$(dirname "$0")" && pwd) || exit 99
KR_SRC=${KR_SRC:-$here/../..}
KR_SRC=$(cd "$KR_SRC" && pwd) || exit 99
KR_BIN=${KR_BIN:-$KR_SRC/bin}
export KR_BIN KR_SRC
if [ ! -d "$KR_BIN" ]; then
    echo "run.sh: KR_BIN=$KR_BIN is not a directory" >&2
    exit 99
fi
# The tools may print the logical or the physical path: replace both.
src_phys=$(cd -P "$KR_SRC" && pwd) || exit 99

if [ -n "${KR_VALGRIND:-}" ]; then
    timeout_s=${KR_TIMEOUT:-600}
else
    timeout_s=${KR_TIMEOUT:-60}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kr-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 130' HUP INT TERM
mkdir "$tmp/work" || exit 99

# A path as a sed regular expression.
sed_quote() {
    printf '%s\n' "$1" | sed 's/[][\/.*^$]/\\&/g'
}
re_log=$(sed_quote "$KR_SRC")
re_phys=$(sed_quote "$src_phys")

# The rule set's SHA-256 changes with every edit of a pack; what it is
# made of is tested elsewhere, so golden files hold @SHA256@.
normalise() {
    sed -e "s/$re_phys/@SRC@/g" -e "s/$re_log/@SRC@/g" \
        -e 's/[0-9a-f]\{64\}/@SHA256@/g' "$1" > "$2"
}

# $subst: $1 with every @SRC@ replaced (no sed: one line, no fork).
subst_src() {
    s=$1
    subst=
    while :; do
        case $s in
        *@SRC@*)
            subst=$subst${s%%@SRC@*}$KR_SRC
            s=${s#*@SRC@}
            ;;
        *)
            break
            ;;
        esac
    done
    subst=$subst$s
}

is_libtool_wrapper() {
    sed -n '1,5p' "$1" 2>/dev/null | grep -q 'wrapper script'
}

warned_valgrind=
# Run tool $1 with arguments $2... in the scratch directory, under
# valgrind (through libtool for a libtool wrapper) and a timeout.
run_tool() {
    exe=$1
    shift
    if [ -n "${KR_VALGRIND:-}" ] && [ -z "$helper" ]; then
        vg="valgrind --leak-check=full"
        vg="$vg --errors-for-leak-kinds=definite,indirect"
        vg="$vg --error-exitcode=99 -q"
        # $vg is split into words on purpose below (no blanks inside).
        if is_libtool_wrapper "$exe"; then
            if [ -x "$KR_BIN/../libtool" ]; then
                # shellcheck disable=SC2086
                set -- "$KR_BIN/../libtool" --mode=execute $vg "$exe" "$@"
            else
                if [ -z "$warned_valgrind" ]; then
                    echo "run.sh: no libtool script next to $KR_BIN:" \
                         "running libtool wrappers without valgrind" >&2
                    warned_valgrind=1
                fi
                set -- "$exe" "$@"
            fi
        else
            # shellcheck disable=SC2086
            set -- $vg "$exe" "$@"
        fi
    else
        set -- "$exe" "$@"
    fi
    if command -v timeout >/dev/null 2>&1; then
        set -- timeout "$timeout_s" "$@"
    fi
    (cd "$tmp/work" && exec "$@")
}

pass=0
fail=0

run_case() {
    dir=$1
    name=$2
    first=1
    tool=
    set --
    while IFS= read -r line || [ -n "$line" ]; do
        subst_src "$line"
        if [ -n "$first" ]; then
            tool=$subst
            first=
        else
            set -- "$@" "$subst"
        fi
    done < "$dir/cmd"
    if [ -f "$dir/stdin" ]; then
        input=$dir/stdin
    else
        input=/dev/null
    fi
    case $tool in
    */*)
        helper=1
        exe=$tool
        ;;
    *)
        helper=
        exe=$KR_BIN/$tool
        ;;
    esac
    rm -f "$tmp/raw.stdout" "$tmp/raw.stderr"
    run_tool "$exe" "$@" < "$input" \
        > "$tmp/raw.stdout" 2> "$tmp/raw.stderr"
    rc=$?
    normalise "$tmp/raw.stdout" "$tmp/actual.stdout"
    normalise "$tmp/raw.stderr" "$tmp/actual.stderr"

    if [ "${UPDATE_GOLDEN:-0}" != 0 ]; then
        cp "$tmp/actual.stdout" "$dir/expected.stdout" &&
        cp "$tmp/actual.stderr" "$dir/expected.stderr" &&
        echo "$rc" > "$dir/expected.rc" || return 1
        echo "UPDATE $name"
        pass=$((pass + 1))
        return 0
    fi

    : > "$tmp/report"
    ok=1
    for stream in stdout stderr; do
        if [ ! -f "$dir/expected.$stream" ]; then
            echo "missing expected.$stream (make it with UPDATE_GOLDEN=1)" \
                >> "$tmp/report"
            ok=
        elif ! (cd "$tmp" && diff -u "$dir/expected.$stream" \
                    "actual.$stream") >> "$tmp/report" 2>&1; then
            ok=
        fi
    done
    want=$(cat "$dir/expected.rc" 2>/dev/null)
    if [ "$want" != "$rc" ]; then
        echo "exit status: expected ${want:-(missing expected.rc)}, got $rc" \
            >> "$tmp/report"
        ok=
    fi
    if [ -n "$ok" ]; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$tmp/report"
        fail=$((fail + 1))
    fi
}

# 1 if the case name is selected by the arguments (all when none).
selected() {
    case_name=$1
    shift
    [ $# -eq 0 ] && return 0
    for want in "$@"; do
        case $case_name in
        *"$want"*) return 0 ;;
        esac
    done
    return 1
}

# The glob sorts in the C locale: a fixed order.
for dir in "$here"/*/[0-9]*/; do
    [ -f "$dir/cmd" ] || continue
    dir=${dir%/}
    name=${dir#"$here"/}
    selected "$name" "$@" || continue
    run_case "$dir" "$name" || exit 99
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
