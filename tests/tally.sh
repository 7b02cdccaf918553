# tally.sh - the PASS/FAIL count of the shell test scripts (sourced).
#
#   ok NAME             a check that held: prints "PASS NAME"
#   not_ok NAME [FILE]  one that did not: prints "FAIL NAME", then FILE
#                       (what went wrong) indented, at most 40 lines
#   tally_end           prints "N passed, M failed"; true when none failed
pass=0
fail=0

ok() {
    echo "PASS $1"
    pass=$((pass + 1))
}

not_ok() {
    echo "FAIL $1"
    if [ -n "${2:-}" ]; then
        sed 's/^/    /' "$2" | head -n 40
    fi
    fail=$((fail + 1))
}

tally_end() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
