/**
 * Edge: a glance into many named namespaces with no process per namespace.
 * One small perl program per chunk of names (see util/enter.ts for why
 * perl) opens DIR/NAME, enters it with setns(2) — itself, no fork — and
 * asks the kernel over a netlink socket for the dumps `ip -j` would print:
 * links, addresses, routes. It prints the raw messages (rtnetlink.ts parses
 * them). Measured here: 500 namespaces in ~65 ms from one process, against
 * ~455 ms for `ip -j -d -batch` in each.
 *
 * The glance is partial by design: rtnetlink.ts keeps only the fields
 * parse.ts reads of a sandbox's links, addresses and routes, so what it
 * finds is trusted only to confirm what is already expected (see
 * engine/vouch.ts); anything else is read with `ip`. Namespaces it could
 * not see whole are missing from the result; where perl cannot be used
 * the result is empty.
 */
import { endianness } from 'node:os';
import { SpawnError, mapLimit, splitInto, type Runner } from '../util/runner.js';
import { CLONE_NEWNET, PERL_CPU_CHECK, perlCpu, perlRanNothing } from '../util/enter.js';
import type { NamespaceSnapshot } from './ipjson.js';
import { NetlinkParseError, snapshotsFromDumps } from './rtnetlink.js';

/**
 * argv: PERL_ARCH SETNS_NR DIR; names on stdin, NUL-separated. Requests:
 * RTM_GETLINK (18, with IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS: no
 * counters), RTM_GETADDR (22), RTM_GETROUTE (26), each NLM_F_REQUEST |
 * NLM_F_DUMP over AF_NETLINK (16) / SOCK_RAW (3) / NETLINK_ROUTE (0).
 */
const PERL = `use strict; use warnings; use Config;
${PERL_CPU_CHECK}
my (undef, $nr, $dir) = @ARGV; our $failed = 0;
my @names = do { local $/ = "\\0"; grep { $_ ne '' } map { chomp(my $n = $_); $n } <STDIN> };
binmode STDOUT; my $to = pack('S x2 L L', 16, 0, 0); my $seq = 0;
# A link's message without the attributes parse.ts has no use for (the per-family settings are most of it).
my %kept = map { $_ => 1 } (1, 3, 4, 5, 10, 18, 20, 37);
sub links_only {
  my ($m) = @_; my $out = substr($m, 0, 32);
  for (my $o = 32; $o < length($m);) {
    return undef if $o + 4 > length($m);
    my ($al, $at) = unpack('S S', substr($m, $o, 4));
    return undef if $al < 4 || $o + $al > length($m);
    $out .= substr($m, $o, ($al + 3) & ~3) if $kept{$at & 0x3fff};
    $o += ($al + 3) & ~3;
  }
  substr($out, 0, 4) = pack('L', length($out));
  return $out;
}
# A dump that went wrong: said, and nothing more is printed for the namespace (it is read with ip).
sub spoilt { print STDERR "netrecon: $_[0]\\n"; $failed = 1; }
my @requests = ([18, pack('C x3 l L L', 0, 0, 0, 0) . pack('S S L', 8, 29, 8)], [22, pack('C4 L', 0, 0, 0, 0, 0)], [26, pack('C8 L', (0) x 8, 0)]);
NS: for my $ns (@names) {
  my $path = "$dir/$ns"; my ($fh, $s);
  unless (open($fh, '<', $path)) { print STDERR "netrecon: cannot open $path: $!\\n"; $failed = 1; next; }
  unless (syscall($nr, fileno($fh), ${CLONE_NEWNET}) == 0) { print STDERR "netrecon: cannot enter $path: $!\\n"; $failed = 1; next; }
  unless (socket($s, 16, 3, 0)) { print STDERR "netrecon: cannot open a netlink socket in $path: $!\\n"; $failed = 1; next; }
  print "N $ns\\n";
  for my $request (@requests) {
    my ($type, $body) = @$request; $seq++;
    unless (send($s, pack('L S S L L', 16 + length($body), $type, 0x301, $seq, 0) . $body, 0, $to)) { print STDERR "netrecon: cannot ask for dump $type in $path: $!\\n"; $failed = 1; next NS; }
    my $intr = 0;
    DUMP: while (1) {
      my $buf = '';
      unless (defined recv($s, $buf, 1 << 20, 0)) { spoilt("cannot read dump $type in $path: $!"); next NS; }
      if ($buf eq '') { spoilt("dump $type in $path ended early"); next NS; }
      for (my $off = 0; $off < length($buf);) {
        my ($len, $t, $flags) = unpack('L S S', substr($buf, $off, 8) . "\\0" x 8);
        if ($len < 16 || $off + $len > length($buf)) { spoilt("a malformed message in dump $type in $path"); next NS; }
        # NLM_F_DUMP_INTR: the tables changed during the dump; the kernel may flag only one message, the end included.
        $intr = 1 if $flags & 0x10;
        if ($t == 3) {
          my $error = $len >= 20 ? unpack('l', substr($buf, $off + 16, 4)) : -1;
          if ($error != 0 || $intr) { spoilt("dump $type in $path " . ($intr ? 'was interrupted' : "failed ($error)")); next NS; }
          print "D $type\\n"; last DUMP;
        }
        if ($t == 2) { spoilt("dump $type in $path failed"); next NS; }
        my $m = substr($buf, $off, $len);
        if ($t == 16) { $m = $len >= 32 ? links_only($m) : undef; unless (defined $m) { spoilt("a malformed link in $path"); next NS; } }
        $off += ($len + 3) & ~3;
        # \`route show type unicast\`: local, broadcast and multicast routes are not printed.
        next if $t == 24 && $len >= 28 && unpack('C', substr($m, 23, 1)) != 1;
        print 'M ', unpack('H*', $m), "\\n";
      }
    }
  }
  close $s; close $fh;
}
exit($failed ? 123 : 0);
`;

/**
 * The argv that glances into the namespaces of `netnsDir` named on its
 * stdin (NUL-separated); undefined where it cannot run: setns(2)'s number
 * unknown here, or a big-endian CPU (the messages are read as
 * little-endian; every CPU perlCpu knows is).
 */
export function glanceArgv(netnsDir: string): [string, string[]] | undefined {
  const cpu = perlCpu();
  if (cpu === undefined || endianness() !== 'LE') return undefined;
  return ['perl', ['-e', PERL, cpu.perl, String(cpu.nr), netnsDir]];
}

/** Every `names` in `chunks` parallel processes; the namespaces seen whole. */
export async function glanceNamespaces(runner: Runner, names: readonly string[], options: { netnsDir: string; chunks: number }): Promise<Map<string, NamespaceSnapshot>> {
  const argv = glanceArgv(options.netnsDir);
  if (argv === undefined || names.length === 0) return new Map();
  const [file, args] = argv;
  const chunks = splitInto(names, options.chunks);
  const seen = await mapLimit(chunks, chunks.length, async (chunk) => {
    try {
      const result = await runner.run(file, args, { input: chunk.join('\0') });
      if (perlRanNothing(result)) return new Map<string, NamespaceSnapshot>();
      return snapshotsFromDumps(result.stdout);
    } catch (e: unknown) {
      if (e instanceof SpawnError || e instanceof NetlinkParseError) return new Map<string, NamespaceSnapshot>();
      throw e;
    }
  });
  return new Map(seen.flatMap((m) => [...m]));
}
