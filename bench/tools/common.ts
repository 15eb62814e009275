/**
 * Names, addresses and bash fragments shared by every tool's trial. Scripts
 * are generated from validated integers only, never from outside data.
 */

/** Scratch directory inside the sandbox (a tmpfs over /run, see inner.ts). */
export const WORK = '/run/bench';
export const SUBNET_PREFIX = 16;
export const GATEWAY = '10.88.0.1';

export function checkSize(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65000) throw new Error(`size must be an integer in 1..65000, got ${n}`);
  return n;
}

/** Namespace (and sandbox) name of the i-th attachment, 0-based. */
export function nsName(i: number): string {
  return `b${i}`;
}

function hostOctets(i: number): [number, number] {
  const h = i + 2;
  return [h >> 8, h & 255];
}

/** 10.88.x.y of the i-th attachment: .0.1 is the gateway, so hosts start at .0.2. */
export function ipOf(i: number): string {
  const [x, y] = hostOctets(i);
  return `10.88.${x}.${y}`;
}

/** Docker's MAC-from-IP rule: 02:42 then the IPv4 octets in hex. */
export function macOf(i: number): string {
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  const [x, y] = hostOctets(i);
  return `02:42:${hex(10)}:${hex(88)}:${hex(x)}:${hex(y)}`;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A bash `for` loop over 0..n-1 with `$i` bound; `body` may use `$i` only. */
export function forEach(n: number, body: string): string {
  return `for ((i = 0; i < ${checkSize(n)}; i++)); do\n  ${body}\ndone`;
}

/**
 * Wait (inside the timed phase) until the sandbox root netns has no bridge
 * port left: the kernel removes veths of a deleted netns in the background.
 * Sleeps with a builtin `read -t` on a FIFO so polling forks nothing.
 */
export const WAIT_NO_PORTS = [
  `exec 9<>${WORK}/sleep.fifo`,
  `while compgen -G '/sys/class/net/*/brport' >/dev/null; do read -r -t 0.002 -u 9 || true; done`,
].join('\n');

/**
 * Until the sandbox's root namespace holds nothing but lo: no bridge, and no
 * veth host end (a deleted namespace's veths go in the background, and a
 * deleted bridge has no ports left to wait for). Counts with a glob, no fork.
 */
export const WAIT_ONLY_LO = [
  `exec 9<>${WORK}/sleep.fifo`,
  'while links=(/sys/class/net/*); [ "${#links[@]}" -gt 1 ]; do read -r -t 0.002 -u 9 || true; done',
].join('\n');

/** Like WAIT_NO_PORTS, until the bridge has `n` ports left (one sandbox of n + 1 removed); counts with a glob, no fork. */
export function WAIT_ONE_PORT_GONE(n: number): string {
  return [
    `exec 9<>${WORK}/sleep.fifo`,
    'count() { local p=(/sys/class/net/*/brport); left=${#p[@]}; [ -e "${p[0]}" ] || left=0; }',
    `while count; [ "$left" -gt ${checkSize(n)} ]; do read -r -t 0.002 -u 9 || true; done`,
  ].join('\n');
}

/** `ip -batch` lines deleting every namespace. */
export function netnsDelBatch(n: number): string {
  return range(n).map((i) => `netns del ${nsName(i)}\n`).join('');
}

/** Prefix for a command whose peak RSS is recorded (empty when /usr/bin/time is missing). */
export function rssWrap(timeBin: string | undefined, file: string): string {
  return timeBin === undefined ? '' : `${timeBin} -f %M -o ${file} `;
}
