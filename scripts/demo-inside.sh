#!/usr/bin/env bash
# Runs inside the demo's private namespaces (see demo.sh).
set -euo pipefail
examples="$1"
sh scripts/private-mounts.sh
ip link set lo up
[ -x "$examples/setup-uplinks.sh" ] && bash "$examples/setup-uplinks.sh"
nr() { echo; echo "\$ netrecon $*"; ./bin/netrecon "$@"; }
say() { echo; echo "== $*"; }

say "What the manifests ask for, and the plan against this empty sandbox"
nr plan -f "$examples"
nr apply -f "$examples"

say "Inside each sandbox"
for ns in $(ip netns list | awk '{print $1}' | sort); do
  echo "-- netns $ns"; ip -n "$ns" -br addr; ip -n "$ns" route | sed 's/^/   route: /'
done
say "Host side: bridges and their ports"
ip -br link show type bridge; bridge link | sed 's/^/   /' || true

say "Connectivity"
ping_from() { ./bin/netrecon exec "$1" -- ping -c1 -W1 "$2" >/dev/null && echo "ok    $1 -> $2" || echo "FAIL  $1 -> $2"; }
ping_from web 172.17.0.20
ping_from db 172.17.0.1
ping_from mv1 "$(ip -n mv2 -j addr show eth0 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].addr_info.find(a=>a.family==="inet").local))')"
say "container:web shares web's namespace; host mode shares the host's"
echo "\$ netrecon exec sidecar -- ip -br addr show eth0"; ./bin/netrecon exec sidecar -- ip -br addr show eth0
echo "\$ netrecon exec monitor -- ip -br link show uplink0"; ./bin/netrecon exec monitor -- ip -br link show uplink0
echo "\$ netrecon exec isolated -- ip -br link   # none: lo only"; ./bin/netrecon exec isolated -- ip -br link

say "A second apply plans nothing"
nr plan -f "$examples"
say "Drift: delete web's eth0 by hand (ip -n web link del eth0), then apply repairs it"
ip -n web link del eth0
nr apply -f "$examples"
ping_from web 172.17.0.20

say "Delete everything the manifests own"
nr delete -f "$examples"
echo; echo "namespaces left: $(ip netns list | wc -l)"
