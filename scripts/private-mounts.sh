#!/bin/sh
# The mounts every throwaway sandbox (tests, demo, benchmark, fixture
# recording) starts with, run first thing inside
# `unshare --net --mount --propagation private`. Nothing is created on the
# host's disk: a tmpfs over /run (a private /run/netns), tmpfs-backed
# overlays over /etc and /var/lib (so /etc/netns and the state directory
# exist only in here), and a 0700 tmpfs as netrecon's state directory.
set -e
mount -t tmpfs -o mode=0755 netrecon-sandbox /run
mkdir /run/netns
for dir in /etc /var/lib; do
  layer=/run/.netrecon-sandbox$dir
  mkdir -p "$layer/upper" "$layer/work"
  mount -t overlay -o "lowerdir=$dir,upperdir=$layer/upper,workdir=$layer/work" netrecon-sandbox "$dir"
done
mkdir -p /etc/netns /var/lib/netrecon
mount -t tmpfs -o mode=0700 netrecon-sandbox /var/lib/netrecon
