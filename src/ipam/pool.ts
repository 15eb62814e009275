import { type Cidr, lastAddress } from '../util/cidr.js';

/**
 * The addresses of one pool (a network's ipRange or subnet6) and which of
 * them are taken. Never materialises the range: it keeps the taken set and a
 * cursor. Because allocation hands out the lowest free address and nothing is
 * freed while allocating, the cursor only moves forward, so N allocations cost
 * O(N + taken) whatever the size of the pool.
 */
export class AddressPool {
  readonly range: Cidr;
  private readonly first: bigint;
  private readonly last: bigint;
  private readonly reserved: ReadonlySet<bigint>;
  private readonly taken = new Set<bigint>();
  private cursor: bigint;
  private held = 0;
  private steps = 0;

  constructor(range: Cidr, reserved: Iterable<bigint>) {
    this.range = range;
    this.first = range.base;
    this.last = lastAddress(range);
    this.reserved = new Set(reserved);
    this.cursor = this.first;
  }

  /** True when the address lies in the range and is not reserved (gateway, network, broadcast). */
  usable(value: bigint): boolean {
    return value >= this.first && value <= this.last && !this.reserved.has(value);
  }

  isTaken(value: bigint): boolean {
    return this.taken.has(value);
  }

  /** True when the address could be handed out now. */
  isFree(value: bigint): boolean {
    return this.usable(value) && !this.taken.has(value);
  }

  /** Marks an address as held (it may lie outside the range, e.g. a static address). */
  take(value: bigint): void {
    if (this.taken.has(value)) return;
    this.taken.add(value);
    if (this.usable(value)) this.held++;
  }

  /** Takes and returns the lowest free address, or undefined when none is left. */
  takeLowestFree(): bigint | undefined {
    while (this.cursor <= this.last && !this.isFree(this.cursor)) {
      this.cursor++;
      this.steps++;
    }
    if (this.cursor > this.last) return undefined;
    const value = this.cursor;
    this.take(value);
    return value;
  }

  /** How many addresses the cursor has skipped so far (a cost measure for tests). */
  get probes(): number {
    return this.steps;
  }

  /** How many usable addresses of the range are held. */
  get inUse(): number {
    return this.held;
  }
}
