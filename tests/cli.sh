#!/bin/sh
# automake runs tests from the build tree; the golden cases live in the
# source tree beside run.sh.
exec sh "${KR_SRC:?}/tests/cli/run.sh" "$@"
