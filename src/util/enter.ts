/**
 * Edge: run one command in each of many named network namespaces, from one
 * process per chunk of names (node forks its whole process for every spawn:
 * see observe/chunked.ts).
 *
 * The fast way is a small perl program (perl-base is Essential on Debian, so
 * every host with iproute2 has it): for each name it opens DIR/NAME, forks,
 * and the child enters the namespace with setns(2) and execs the command:
 * one exec per namespace. The portable way, `xargs -0 -I{} nsenter
 * --net=DIR/{} CMD`, execs nsenter and then the command. Measured here (500
 * namespaces, `ip -j -d -batch` in each, 4 chunks on 2 cores): 455 against
 * 665 ms. The portable way is used where the setns(2) number of this CPU is
 * not known here, or perl is missing, built for another CPU or cannot
 * compile the program.
 *
 * Either way: names go NUL-separated on stdin (never parsed as code, no
 * shell), `{}` in the command is replaced by the name, one namespace after
 * the other, so outputs come in input order, each with /dev/null as its
 * stdin (as xargs gives); a namespace that cannot be opened, entered or
 * run in prints "netrecon: cannot open|enter|fork for DIR/NAME: REASON"
 * (nsenter's shape) or "netrecon: cannot run CMD in DIR/NAME: REASON", runs
 * nothing, and the chunk goes on (see namespacesNotRun); the exit code is 0
 * only when every command exited 0.
 */
import { SpawnError, commandPath, type RunResult, type Runner } from './runner.js';

/**
 * setns(2) per node `process.arch`: x86-64's own table, and the generic
 * table (asm-generic/unistd.h); with the start of perl's archname on that
 * CPU, which the program checks first (a 32-bit perl numbers syscalls otherwise).
 */
const SETNS: Readonly<Record<string, { nr: number; perl: string }>> = {
  x64: { nr: 308, perl: 'x86_64' }, arm64: { nr: 268, perl: 'aarch64' }, riscv64: { nr: 268, perl: 'riscv64' }, loong64: { nr: 268, perl: 'loongarch64' },
};

/** The setns(2) number and perl's archname prefix on this CPU; undefined where not known here. */
export const perlCpu = (): { nr: number; perl: string } | undefined => SETNS[process.arch];

/** perl's exit when it runs nothing: it is not built for this CPU. */
const NOT_RUN = 125;

export const CLONE_NEWNET = 0x40000000;

/** perl's first line: exit NOT_RUN unless it is built for the CPU named by its first argument. */
export const PERL_CPU_CHECK = `if ($Config{archname} !~ /^\\Q$ARGV[0]\\E-linux/) { print STDERR "netrecon: perl is built for $Config{archname}, not $ARGV[0]\\n"; exit ${NOT_RUN}; }`;

/** argv: PERL_ARCH SETNS_NR DIR CMD...; names on stdin. */
const PERL = `use strict; use warnings; no warnings 'exec'; use Config;
my (undef, $nr, $dir, @cmd) = @ARGV; my $failed = 0; local $/ = "\\0";
${PERL_CPU_CHECK}
while (my $ns = <STDIN>) {
  chomp $ns; next if $ns eq '';
  my $path = "$dir/$ns"; my $fh;
  unless (open($fh, '<', $path)) { print STDERR "netrecon: cannot open $path: $!\\n"; $failed = 1; next; }
  my @argv = map { my $a = $_; $a =~ s/\\{\\}/$ns/g; $a } @cmd;
  my $pid = fork();
  unless (defined $pid) { print STDERR "netrecon: cannot fork for $path: $!\\n"; $failed = 1; next; }
  if ($pid == 0) {
    open(STDIN, '<', '/dev/null');
    unless (syscall($nr, fileno($fh), ${CLONE_NEWNET}) == 0) { print STDERR "netrecon: cannot enter $path: $!\\n"; exit 1; }
    exec { $argv[0] } @argv or print STDERR "netrecon: cannot run $argv[0] in $path: $!\\n"; exit 127;
  }
  close $fh; waitpid($pid, 0); $failed = 1 if $? != 0;
}
exit($failed ? 123 : 0);
`;

export type EnterWay = 'perl' | 'nsenter';

/** The first choice: perl where setns(2)'s number is known. */
const FIRST: EnterWay = perlCpu() === undefined ? 'nsenter' : 'perl';

/** How each runner enters namespaces: the first choice, until perl turns out unusable through it. */
const ways = new WeakMap<Runner, EnterWay>();

/** The argv that runs `command` in each named namespace of `netnsDir` (names on stdin, NUL-separated). */
export function enterEachArgv(netnsDir: string, command: readonly string[], how: EnterWay = FIRST): [string, string[]] {
  const cpu = perlCpu();
  const [file = '', ...args] = command;
  const resolved = [commandPath(file), ...args];
  if (how === 'perl' && cpu !== undefined) return ['perl', ['-e', PERL, cpu.perl, String(cpu.nr), netnsDir, ...resolved]];
  return ['xargs', ['-0', '-I{}', 'nsenter', `--net=${netnsDir}/{}`, ...resolved]];
}

/**
 * perl ran none of the commands (nor any part of a program of netrecon's):
 * it is not built for this CPU, or could not compile the program (perl
 * exits 2 or 255 then; the programs themselves never die once running).
 * A missing perl is a SpawnError (ENOENT).
 */
export const perlRanNothing = (result: RunResult): boolean => [NOT_RUN, 2, 255].includes(result.exitCode);

/** Run `command` in each of `names` (see above); the first chunk to find perl unusable switches to nsenter. */
export async function runInEach(runner: Runner, names: readonly string[], netnsDir: string, command: readonly string[]): Promise<RunResult> {
  const input = names.join('\0');
  const [file, args] = enterEachArgv(netnsDir, command, ways.get(runner) ?? FIRST);
  const nsenter = (): Promise<RunResult> => {
    ways.set(runner, 'nsenter');
    const [xargs, xargsArgs] = enterEachArgv(netnsDir, command, 'nsenter');
    return runner.run(xargs, xargsArgs, { input });
  };
  let result: RunResult;
  try {
    result = await runner.run(file, args, { input });
  } catch (e: unknown) {
    if (e instanceof SpawnError && e.errno === 'ENOENT' && file === 'perl') return nsenter();
    throw e;
  }
  return file === 'perl' && perlRanNothing(result) ? nsenter() : result;
}

/** Which of `names` ran nothing, from a run's stderr: the messages above (perl's, and nsenter's "cannot open"). */
export function namespacesNotRun(stderr: string, names: readonly string[]): Set<string> {
  const lines = stderr.split('\n').filter((line) => /^(netrecon|nsenter): cannot /.test(line));
  return new Set(names.filter((ns) => lines.some((line) => line.includes(`/${ns}: `))));
}
