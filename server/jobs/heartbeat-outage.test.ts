import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { forwarder } from '../testing/tcp-forwarder';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';

/**
 * A worker process (`npm run worker`, heartbeat every second) whose database becomes unreachable for a few seconds
 * (a real PostgreSQL behind a TCP hop that is taken down): one warning when the beats start failing and one line when
 * they succeed again — not a warning per beat — and never the SQL or its parameters.
 */
describe('worker heartbeat during a database outage', () => {
  let fwd: Awaited<ReturnType<typeof forwarder>>;
  let worker: Spawned;

  beforeAll(async () => {
    const t = await createTestDb();
    const u = new URL(t.url);
    fwd = await forwarder(u.hostname, Number(u.port || 5432));
    u.hostname = '127.0.0.1';
    u.port = String(fwd.port);
    worker = spawnTs('server/bin/worker.ts', [], { DATABASE_URL: u.toString(), WORKER_HEARTBEAT_SECONDS: '1', LOG_LEVEL: process.env.HB_LOG_LEVEL ?? 'info' });
    await waitFor(async () => worker.stdout().includes('"worker ready"'), 90_000, 'worker ready');
  }, 120_000);
  afterAll(async () => {
    if (worker && worker.proc.exitCode === null) {
      worker.proc.kill('SIGTERM');
      const force = setTimeout(() => worker.proc.kill('SIGKILL'), 20_000);
      await worker.exited;
      clearTimeout(force);
    }
    await fwd?.close();
  });

  it('logs once when beats start failing and once when they recover', async () => {
    const mark = worker.stdout().length;
    fwd.takeDown();
    await new Promise((r) => setTimeout(r, 6000)); // six beats
    fwd.bringUp();
    await waitFor(async () => worker.stdout().slice(mark).includes('"heartbeat recovered"'), 45_000, 'heartbeat recovered').catch((e: Error) => {
      // Say what the worker did instead. Seen twice under load: no line at all, because a beat had failed and recovered
      // ("a blip") within 30 s before the outage, and an outage starting then was never announced (fixed: announced
      // after three failed beats).
      throw new Error(
        `${e.message}; connections tried while down: ${fwd.attemptsWhileDown}, worker exit: ${worker.proc.exitCode ?? worker.proc.signalCode ?? 'still running'}, its stderr: ${worker.stderr().slice(-3000)}; the worker logged before the outage:\n${worker.stdout().slice(0, mark).split('\n').slice(-12).join('\n')}\nand since it began:\n${worker.stdout().slice(mark).split('\n').slice(-25).join('\n')}`,
      );
    });
    const lines = worker.stdout().slice(mark).split('\n');
    const failed = lines.filter((l) => l.includes('heartbeat failed'));
    const recovered = lines.filter((l) => l.includes('"heartbeat recovered"'));
    console.log(JSON.stringify({ heartbeat_failed_lines: failed.length, recovered: recovered.map((l) => (JSON.parse(l) as { failedBeats: number }).failedBeats) }));
    expect(failed).toHaveLength(1);
    expect(recovered).toHaveLength(1);
    expect((JSON.parse(recovered[0]) as { failedBeats: number }).failedBeats).toBeGreaterThanOrEqual(3);
    expect(worker.stdout()).not.toMatch(/Failed query:|params: /);
  }, 90_000);

  it('an outage that begins within 30 s of a blip is still announced (after three failed beats)', async () => {
    // The blip: one or two beats fail, then they succeed again (logged at debug: the tail of an outage).
    await new Promise((r) => setTimeout(r, 2000));
    fwd.takeDown();
    await new Promise((r) => setTimeout(r, 1500));
    fwd.bringUp();
    await new Promise((r) => setTimeout(r, 3000));
    const mark = worker.stdout().length;
    fwd.takeDown();
    await new Promise((r) => setTimeout(r, 6000));
    fwd.bringUp();
    await waitFor(async () => worker.stdout().slice(mark).includes('"heartbeat recovered"'), 45_000, 'heartbeat recovered after the second outage').catch((e: Error) => {
      throw new Error(`${e.message}; the worker logged since the outage began:\n${worker.stdout().slice(mark).split('\n').slice(-25).join('\n')}`);
    });
    const failed = worker.stdout().slice(mark).split('\n').filter((l) => l.includes('"heartbeat failed; retrying'));
    expect(failed).toHaveLength(1);
    expect((JSON.parse(failed[0]) as { failedBeats: number }).failedBeats).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
