import { describe, expect, it } from 'vitest';
import { MicroBatcher, type BatchFn } from './batcher';

const D = 2; // values per input
const C = 3; // classes

/** A model whose answer for input [a, b] is [a, b, a + b]: results show which input they belong to. */
function answer(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) out.set([x[i * D], x[i * D + 1], x[i * D] + x[i * D + 1]], i * C);
  return out;
}

const input = (i: number) => new Float32Array([i, 10 * i]);
/** Lets pending callbacks and setImmediate flushes run (a few turns of the loop). */
const tick = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

/** An async batch function whose batches finish when the test says so. */
function controlled() {
  const calls: { n: number; x: Float32Array; resolve: () => void; reject: (e: Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const run: BatchFn = (x, n) =>
    new Promise<Float32Array>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const out = answer(x, n);
      calls.push({
        n,
        x,
        resolve: () => {
          running--;
          resolve(out);
        },
        reject: (e) => {
          running--;
          reject(e);
        },
      });
    });
  return { run, calls, maxRunning: () => maxRunning };
}

describe('MicroBatcher', () => {
  it('sync: concurrent submits run as one batch; a lone request runs at once; each gets its own row', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher(answer, D, C, { windowMs: 0, maxBatch: 256, onBatch: (s) => sizes.push(s) });
    const out = await Promise.all([1, 2, 3, 4, 5].map((i) => b.submit(input(i))));
    expect(out.map((p) => Array.from(p))).toEqual([1, 2, 3, 4, 5].map((i) => [i, 10 * i, 11 * i]));
    expect(await b.submit(input(7))).toEqual(new Float32Array([7, 70, 77]));
    expect(sizes).toEqual([5, 1]);
    expect(b.stats).toEqual({ batches: 2, items: 6, maxSize: 5 });
  });

  it('sync: maxBatch splits a burst; a throwing batch rejects its items and the next batch works', async () => {
    const b1 = new MicroBatcher(answer, D, C, { windowMs: 0, maxBatch: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => b1.submit(input(i))));
    expect(b1.stats).toEqual({ batches: 3, items: 5, maxSize: 2 });

    let fail = true;
    const b2 = new MicroBatcher(
      (x, n) => {
        if (fail) throw new Error('model broke');
        return answer(x, n);
      },
      D,
      C,
      { windowMs: 0, maxBatch: 256 },
    );
    const r = await Promise.allSettled([b2.submit(input(1)), b2.submit(input(2))]);
    expect(r.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((r[0] as PromiseRejectedResult).reason.message).toBe('model broke');
    fail = false;
    expect(await b2.submit(input(3))).toEqual(new Float32Array([3, 30, 33]));
    await expect(b2.submit(new Float32Array(3))).rejects.toThrow(/3 values, expected 2/);
  });

  it('async: what arrives while a batch computes forms the next batch; at most maxInflight batches run', async () => {
    const c = controlled();
    const sizes: number[] = [];
    const b = new MicroBatcher(c.run, D, C, { windowMs: 0, maxBatch: 256, onBatch: (s) => sizes.push(s) });
    const first = b.submit(input(1)); // a lone request runs at once
    await tick();
    expect(c.calls.map((k) => k.n)).toEqual([1]);
    const later = [2, 3, 4].map((i) => b.submit(input(i)));
    await tick();
    await tick();
    expect(c.calls.length).toBe(1); // the one slot is busy: they wait together
    c.calls[0].resolve();
    expect(await first).toEqual(new Float32Array([1, 10, 11]));
    await tick();
    expect(c.calls.map((k) => k.n)).toEqual([1, 3]);
    c.calls[1].resolve();
    expect((await Promise.all(later)).map((p) => Array.from(p))).toEqual([2, 3, 4].map((i) => [i, 10 * i, 11 * i]));
    expect(sizes).toEqual([1, 3]);
    expect(b.stats).toEqual({ batches: 2, items: 4, maxSize: 3 });
    expect(c.maxRunning()).toBe(1);
  });

  it('async: maxInflight 2 runs two batches at once, never three', async () => {
    const c = controlled();
    const b = new MicroBatcher(c.run, D, C, { windowMs: 0, maxBatch: 256, maxInflight: 2 });
    const all: Promise<Float32Array>[] = [];
    all.push(b.submit(input(1)));
    await tick();
    all.push(b.submit(input(2)), b.submit(input(3)));
    await tick();
    expect(c.calls.map((k) => k.n)).toEqual([1, 2]);
    all.push(b.submit(input(4)));
    await tick();
    await tick();
    expect(c.calls.length).toBe(2);
    c.calls[1].resolve(); // the second finishes first: its slot takes the waiting one
    await tick();
    await tick();
    expect(c.calls.map((k) => k.n)).toEqual([1, 2, 1]);
    c.calls[0].resolve();
    c.calls[2].resolve();
    expect((await Promise.all(all)).map((p) => p[2])).toEqual([11, 22, 33, 44]);
    expect(c.maxRunning()).toBe(2);
  });

  it('async: a rejected batch rejects exactly its items; later batches still work', async () => {
    const c = controlled();
    const b = new MicroBatcher(c.run, D, C, { windowMs: 0, maxBatch: 256 });
    const a = b.submit(input(1));
    await tick();
    const rest = [b.submit(input(2)), b.submit(input(3))];
    await tick();
    c.calls[0].reject(new Error('compute thread exited'));
    await expect(a).rejects.toThrow('compute thread exited');
    await tick();
    expect(c.calls.map((k) => k.n)).toEqual([1, 2]);
    c.calls[1].resolve();
    expect((await Promise.all(rest)).map((p) => p[2])).toEqual([22, 33]);
    const after = b.submit(input(5));
    await tick();
    c.calls[2].resolve();
    expect(await after).toEqual(new Float32Array([5, 50, 55]));
    expect(b.stats.batches).toBe(2); // failed batches are not counted
  });

  it('async: a batch function that throws synchronously or whose onBatch throws rejects its items', async () => {
    const b = new MicroBatcher(() => Promise.reject(new Error('not loaded')), D, C, { windowMs: 0, maxBatch: 256 });
    await expect(b.submit(input(1))).rejects.toThrow('not loaded');
    const b2 = new MicroBatcher((x, n) => Promise.resolve(answer(x, n)), D, C, {
      windowMs: 0,
      maxBatch: 256,
      onBatch: () => {
        throw new Error('observer broke');
      },
    });
    await expect(b2.submit(input(1))).rejects.toThrow('observer broke');
  });
});
