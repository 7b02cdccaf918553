#!/bin/sh
# JSON output parsed by a real JSON parser; locale independence.
exec sh "${KR_SRC:?}/tests/cli/check-json.sh" "$@"
