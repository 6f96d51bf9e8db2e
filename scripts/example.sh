#!/usr/bin/env bash
# Install wom-sdk with the bundled local model and analyze a few example reviews.
# With OPENAI_API_KEY or OPENAI_BASE_URL set, the example uses that endpoint instead.
source "$(dirname "$0")/_venv.sh" "local,pandas"
exec .venv/bin/python examples/analyze_reviews.py "$@"
