import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReconcileLoop, type ReconcileResult, type Trigger } from '../../src/watch/loop.js';

/** A manual clock: scheduled callbacks run only when the test advances time. */
class FakeClock {
  now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  schedule = (fn: () => void, ms: number): (() => void) => {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return () => void (this.timers = this.timers.filter((t) => t.id !== id));
  };
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
      await flush();
    }
    this.now = until;
    await flush();
  }
  get armed(): number[] {
    return this.timers.map((t) => t.at - this.now);
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function harness(results: ReconcileResult[] = []) {
  const clock = new FakeClock();
  const runs: Trigger[][] = [];
  let release: (() => void) | undefined;
  let blocking = false;
  const loop = new ReconcileLoop({
    debounceMs: 100,
    backoff: { initialMs: 1000, maxMs: 8000 },
    schedule: clock.schedule,
    reconcile: async (ts) => {
      runs.push([...ts]);
      if (blocking) await new Promise<void>((r) => (release = r));
      return results.shift() ?? 'ok';
    },
  });
  return { clock, runs, loop, block: () => (blocking = true), unblock: () => { blocking = false; release?.(); } };
}

test('a burst of triggers within the debounce window is one reconcile', async () => {
  const h = harness();
  for (let i = 0; i < 50; i++) {
    h.loop.trigger({ kind: 'file', detail: `f${i}` });
    await h.clock.advance(10);
  }
  await h.clock.advance(100);
  assert.equal(h.runs.length, 1);
  assert.equal(h.runs[0]?.length, 50);
});

test('triggers during a reconcile cause exactly one more, never an overlap', async () => {
  const h = harness();
  h.block();
  h.loop.trigger({ kind: 'start' });
  await h.clock.advance(100);
  assert.equal(h.runs.length, 1);
  h.loop.trigger({ kind: 'file' });
  h.loop.trigger({ kind: 'kernel' });
  await h.clock.advance(1000);
  assert.equal(h.runs.length, 1, 'no second run while the first is in flight');
  h.unblock();
  await flush();
  await h.clock.advance(100);
  assert.equal(h.runs.length, 2);
  assert.deepEqual(h.runs[1]?.map((t) => t.kind), ['file', 'kernel']);
  await h.clock.advance(10_000);
  assert.equal(h.runs.length, 2, 'nothing more without triggers');
});

test('a failed reconcile is retried with exponential backoff, capped, and reset by success', async () => {
  const h = harness(['failed', 'failed', 'failed', 'failed', 'failed', 'ok']);
  h.loop.trigger({ kind: 'start' });
  await h.clock.advance(100);
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    gaps.push(h.clock.armed[0] ?? -1);
    await h.clock.advance(h.clock.armed[0] ?? 0);
  }
  assert.deepEqual(gaps, [1000, 2000, 4000, 8000, 8000]);
  assert.equal(h.runs.length, 6);
  assert.equal(h.runs[5]?.[0]?.kind, 'retry');
  assert.deepEqual(h.clock.armed, [], 'no retry after success');
});

test('stop waits for the reconcile in flight and starts no other', async () => {
  const h = harness();
  h.block();
  h.loop.trigger({ kind: 'start' });
  await h.clock.advance(100);
  h.loop.trigger({ kind: 'file' });
  let stopped = false;
  const stopping = h.loop.stop().then(() => (stopped = true));
  await flush();
  assert.equal(stopped, false);
  h.unblock();
  await stopping;
  await h.clock.advance(1000);
  assert.equal(h.runs.length, 1);
  h.loop.trigger({ kind: 'signal' });
  await h.clock.advance(1000);
  assert.equal(h.runs.length, 1, 'triggers after stop are ignored');
});
