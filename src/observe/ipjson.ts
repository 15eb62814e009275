/**
 * Pure: the raw output of `ip -j -d -batch -` → one JSON array per command.
 * Only the shape the parsers rely on is checked; unknown fields are kept
 * (status may show them) and ignored by the parsers.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

/** The show commands observe sends on stdin, one JSON array each, in this order. */
export const BATCH_COMMANDS = {
  links: 'link show',
  addrs: 'addr show',
  /**
   * Both route families in one line: a plain `route show` lists only IPv4
   * (iproute2 defaults the family to inet once a table is filtered), and
   * `ip -batch` rejects per-line options such as `-6 route show` ("Object
   * "-6" is unknown"). `table all` lists every family; `type unicast` drops
   * the local/broadcast/multicast routes; other tables are dropped when parsed.
   */
  routes: 'route show table all type unicast',
} as const;

export type BatchPart = keyof typeof BATCH_COMMANDS;
const PARTS: readonly BatchPart[] = ['links', 'addrs', 'routes'];

export const batchInput = (): string => `${PARTS.map((p) => BATCH_COMMANDS[p]).join('\n')}\n`;

/** Raw, parsed JSON of one namespace (HOST_NS for the root namespace). */
export interface NamespaceSnapshot {
  readonly ns: string;
  readonly links: readonly JsonObject[];
  readonly addrs: readonly JsonObject[];
  readonly routes: readonly JsonObject[];
}

/** The output did not have the expected shape; `command` is the batch line at fault. */
export class BatchParseError extends Error {
  readonly command: string;
  constructor(command: string, message: string) {
    super(message);
    this.name = 'BatchParseError';
    this.command = command;
  }
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Split concatenated top-level JSON texts ("[...]\n[...]\n") and parse each.
 * `ip -j` prints each command's array on one line, so lines are tried first
 * (one JSON.parse each, much cheaper than scanning every character); any
 * other layout goes through the scanner, which also names what is wrong.
 */
export function splitJsonValues(text: string): unknown[] {
  return valuesByLine(text) ?? scanJsonValues(text);
}

function valuesByLine(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed[0] !== '[' && trimmed[0] !== '{') return undefined;
    try {
      values.push(JSON.parse(trimmed));
    } catch {
      return undefined;
    }
  }
  return values;
}

function scanJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === ']' || c === '}') {
      if (--depth < 0) throw new SyntaxError(`unbalanced "${c}" at offset ${i}`);
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    } else if (depth === 0 && !/\s/.test(c ?? '')) throw new SyntaxError(`unexpected "${c}" at offset ${i}`);
  }
  if (depth !== 0 || inString) throw new SyntaxError('output ends inside a JSON value');
  return values;
}

const REQUIRED: Readonly<Record<BatchPart, readonly [string, string][]>> = {
  links: [['ifname', 'string'], ['ifindex', 'number']],
  addrs: [['ifname', 'string']],
  routes: [['dst', 'string']],
};

function checkArray(part: BatchPart, value: unknown): JsonObject[] {
  const command = BATCH_COMMANDS[part];
  if (!Array.isArray(value)) throw new BatchParseError(command, 'expected a JSON array');
  return value.map((entry: unknown, i) => {
    if (!isObject(entry)) throw new BatchParseError(command, `entry ${i} is not an object`);
    for (const [field, type] of REQUIRED[part]) {
      if (typeof entry[field] !== type) throw new BatchParseError(command, `entry ${i} has no ${type} "${field}"`);
    }
    return entry;
  });
}

/** Parse one namespace's batch output; throws BatchParseError naming the command at fault. */
export function snapshotFromBatch(ns: string, stdout: string): NamespaceSnapshot {
  let values: unknown[];
  try {
    values = splitJsonValues(stdout);
  } catch (e: unknown) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new BatchParseError(PARTS.map((p) => BATCH_COMMANDS[p]).join('; '), `not valid JSON: ${detail}`);
  }
  return snapshotFromValues(ns, values);
}

/** One namespace's snapshot from the parsed arrays of its batch (link, addr, route show). */
export function snapshotFromValues(ns: string, values: readonly unknown[]): NamespaceSnapshot {
  const [links, addrs, routes] = PARTS.map((part, i) => {
    if (i >= values.length) throw new BatchParseError(BATCH_COMMANDS[part], `no output (got ${values.length} of ${PARTS.length} arrays)`);
    return checkArray(part, values[i]);
  });
  if (values.length > PARTS.length) throw new BatchParseError(BATCH_COMMANDS.routes, `${values.length} arrays for ${PARTS.length} commands`);
  return { ns, links: links ?? [], addrs: addrs ?? [], routes: routes ?? [] };
}
