#!/usr/bin/env bash
# Sets up (Debian packages, npm packages, build) and runs every test.
# Kernel tests run as root, each in its own private network + mount namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npm test --silent
