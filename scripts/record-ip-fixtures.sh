#!/usr/bin/env bash
# Record real `ip -j -d -batch -` output for the observe parser tests.
# Everything happens inside a throwaway private network + mount namespace
# (never the host's): the script re-executes itself under `unshare`.
# Usage: scripts/record-ip-fixtures.sh [OUT_DIR]   (default test/fixtures/ip-json)
set -euo pipefail

out=$(realpath -m "${1:-$(dirname "$0")/../test/fixtures/ip-json}")
if [[ "${NR_IN_SANDBOX:-}" != 1 ]]; then
  mkdir -p "$out"
  exec env NR_IN_SANDBOX=1 unshare --net --mount --propagation private bash "$0" "$out"
fi
sh "$(dirname "$0")/private-mounts.sh"
ip link set lo up

# The show commands observe sends (keep in sync with src/observe/read.ts).
cmds=$'link show\naddr show\nroute show table all type unicast\n'

record() { # record CASE: one file per namespace, named as observe names it
  local dir="$out/$1" ns
  rm -rf "$dir"; mkdir -p "$dir"
  sleep 0.3   # let IPv6 link-local addresses and routes settle
  ip -V >"$dir/ip-version.txt"
  printf '%s' "$cmds" | ip -j -d -batch - >"$dir/@host.out"
  ls /run/netns >"$dir/netns.txt"
  for ns in $(ls /run/netns); do
    printf '%s' "$cmds" | nsenter --net="/run/netns/$ns" ip -j -d -batch - >"$dir/$ns.out"
  done
}

reset() { # remove everything but lo from the sandbox
  for ns in $(ls /run/netns); do ip netns del "$ns"; done
  for l in $(ip -j link show | jq -r '.[].ifname' | grep -vx lo); do ip link del "$l" 2>/dev/null || true; done
  sleep 0.2
}

sandbox() { # sandbox NAME: an owned netns with lo marked and up
  ip netns add "$1"
  ip -n "$1" link set lo alias "netrecon:sandbox/$1" up
}

# --- basic: bridge network, one attachment (IPv4 + IPv6), foreign objects
ip link add nr-front type bridge
ip link set nr-front alias netrecon:network/front mtu 1400 up
ip addr add 172.30.0.1/24 dev nr-front
ip addr add fd00:30::1/64 dev nr-front nodad
sandbox web
ip link add nrv1 mtu 1400 type veth peer name eth0 netns web
ip link set nrv1 alias netrecon:attachment/web-front master nr-front up
ip -n web link set eth0 alias netrecon:attachment/web-front address 02:42:AC:1E:00:0A up
ip -n web addr add 172.30.0.10/24 dev eth0
ip -n web addr add fd00:30::10/64 dev eth0 nodad
ip -n web route add default via 172.30.0.1
ip -n web route add 10.50.0.0/16 via 172.30.0.254
ip -n web -6 route add default via fd00:30::1
ip -n web link add fx0 type veth peer name fx1          # foreign links in an owned netns
ip link add br-user type bridge                          # foreign bridge
ip netns add other                                       # foreign netns
ip -n other link set lo up
ip -n other link add oth0 type veth peer name oth1
record basic
reset

# --- macvlan: a macvlan on a (foreign) veth parent, moved into an owned netns
ip link add pv0 type veth peer name pv1
ip link set pv0 up; ip link set pv1 up
sandbox db
ip link add mv0 link pv0 type macvlan mode bridge
ip link set mv0 alias netrecon:attachment/db-lan netns db
ip -n db link set mv0 name eth0 address 02:42:c0:a8:32:0a up
ip -n db addr add 192.168.50.10/24 dev eth0
ip -n db route add default via 192.168.50.1
record macvlan
reset

# --- stray: owned links that fit no shape, a netns without its mark
sandbox lost
ip link add nrv9 type veth peer name eth0 netns lost     # host end owned, sandbox end not
ip link set nrv9 alias netrecon:attachment/lost-front up
sandbox half
ip link add nrv8 type veth peer name eth1 netns half     # sandbox end owned, host end not
ip -n half link set eth1 alias netrecon:attachment/half-front up
ip -n half link add br9 type bridge                      # owned bridge inside a netns
ip -n half link set br9 alias netrecon:network/odd
ip netns add unmarked
ip -n unmarked link add nrv7 type veth peer name nrv6    # owned-looking links in a foreign netns
ip -n unmarked link set nrv7 alias netrecon:attachment/x-front
record stray
reset
