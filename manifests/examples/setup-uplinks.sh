#!/usr/bin/env bash
# Run by the demo inside its sandbox: the host interfaces the examples expect.
# uplink0 stands in for a NIC (macvlan parent); its peer stays unused.
set -euo pipefail
ip link show uplink0 >/dev/null 2>&1 || ip link add uplink0 type veth peer name uplink0-peer
ip link set uplink0 up
ip link set uplink0-peer up
