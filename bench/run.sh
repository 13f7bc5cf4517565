#!/usr/bin/env bash
# harperrt vs Mosquitto side by side; see bench/run.py and bench/README.md.
# CI: bench/run.sh --quick
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
