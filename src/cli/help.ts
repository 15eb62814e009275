export const HELP = `netrecon — declarative Linux container networking

Usage:
  netrecon apply    -f PATH... [--dry-run] [--no-prune] [--allow-empty] [-o text|json]
  netrecon plan     -f PATH... [-o text|json|sh] [--detailed-exitcode] [--no-prune]
  netrecon delete   -f PATH... [--dry-run] [--no-refresh]   remove everything these manifests own
  netrecon validate -f PATH...                  check manifests; needs no privileges
  netrecon status   [-f PATH...] [-o text|json] [--detailed-exitcode]
  netrecon watch    DIR [--resync 30s]          GitOps: re-apply on change and on drift
  netrecon exec     SANDBOX -- CMD [ARG...]     run a command inside a sandbox's netns

Global options (before or after the command):
  --state-dir DIR        state directory (default /var/lib/netrecon, env NETRECON_STATE_DIR)
  --log-level LEVEL      trace|debug|info|warn|error|silent
  --log-format FORMAT    json|pretty (default: pretty on a terminal, json otherwise)

Exit codes: 0 success or no changes; 1 error (invalid input, failed and rolled back,
lock held); 2 changes present (--detailed-exitcode); 3 apply failed and rollback
could not restore the previous state.
`;
