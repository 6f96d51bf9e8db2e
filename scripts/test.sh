#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, types, then every test (slow end-to-end ones included).
# Pass pytest arguments to narrow it, e.g. `scripts/test.sh -m "not slow"`.
source "$(dirname "$0")/_venv.sh" "test,report,pandas,local,redis,otel"
# The shared rate limiter's tests start their own redis-server (Debian's package).
if ! command -v redis-server >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  { apt-get install -y -q redis-server || { apt-get update -q && apt-get install -y -q redis-server; }; } \
    >/dev/null 2>&1 || echo "test.sh: could not install redis-server; its tests will be skipped" >&2
fi
# In CI a skipped Redis test would be a green run that never met the real server.
if [ -n "${CI:-}" ] && ! command -v redis-server >/dev/null; then
  echo "test.sh: CI needs redis-server (apt-get install -y redis-server)" >&2
  exit 1
fi
.venv/bin/ruff check src tests benchmarks examples scripts
# strict, on src/wom_sdk and tests/typing (files type-checked, never run: the API's types)
.venv/bin/mypy
# `-m ""` lifts the default "not slow" filter of pyproject's addopts; the "ci"
# hypothesis profile (tests/conftest.py) runs 2,000 examples per property test.
WOM_HYPOTHESIS_PROFILE="${WOM_HYPOTHESIS_PROFILE:-ci}" .venv/bin/python -m pytest -m "" "$@"
