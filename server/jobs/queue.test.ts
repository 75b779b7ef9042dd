import { describe, it, expect } from 'vitest';
import { createTestDb } from '../db/test-db';
import { openBoss, QUEUE_DEFINITIONS } from './queue';

describe('job queue start-up', () => {
  it('processes opening the queue together on a fresh database do not deadlock (web + worker + CLI at start)', async () => {
    const t = await createTestDb();
    const bosses = await Promise.all(Array.from({ length: 4 }, (_, i) => openBoss(t.url, i % 2 ? 'worker' : 'producer')));
    try {
      for (const q of QUEUE_DEFINITIONS) expect(await bosses[0].getQueue(q.name)).toMatchObject({ name: q.name });
    } finally {
      await Promise.all(bosses.map((b) => b.stop({ graceful: false, wait: true })));
    }
  });
});
