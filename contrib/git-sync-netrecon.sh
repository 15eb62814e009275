#!/usr/bin/env bash
# Keep /etc/netrecon/manifests equal to a git branch; run it from a systemd
# timer or cron. netrecon watch sees the checkout as one burst of changes and
# reconciles once; a half-written tree never applies because invalid
# manifests keep the last good state in force.
set -euo pipefail
repo=${1:?usage: git-sync-netrecon.sh REPO_URL [BRANCH]}
branch=${2:-main}
dir=/etc/netrecon/manifests
if [ ! -d "$dir/.git" ]; then git clone --branch "$branch" --depth 1 "$repo" "$dir"; exit 0; fi
git -C "$dir" fetch --depth 1 origin "$branch"
git -C "$dir" reset --hard "origin/$branch"
