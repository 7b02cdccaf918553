#!/bin/sh
# Run every shipped rule-pack test (rules/**/tests/*.xml) with kr-rules.
set -u
: "${KR_BIN:?}" "${KR_SRC:?}"
exec "$KR_BIN/kr-rules" test "$KR_SRC/rules"
