#!/usr/bin/env bash
# Sets up netrecon, then applies manifests/examples/ inside a throwaway
# sandbox (a private network + mount namespace): shows the plan, the
# resulting interfaces and a ping between sandboxes, then cleans up.
# Nothing in the host's own network namespace is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec unshare --net --mount --propagation private bash scripts/demo-inside.sh "${1:-manifests/examples}"
