/** Issue 8, defect 6: retraining with the same data hash, parameters and code is refused (409 naming vN) unless forced. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from './runs';
import { executeRun } from './pipeline';
import { getVersion } from '../registry/versions';
import { closeProducerBosses } from '../jobs/queue';
import { codeVersion } from '../config';
import { logger } from '../log';
import type { Db } from '../db/client';
import type { TrainRequestInput } from './params';

const log = logger().child({ test: 'duplicates' });
const P = { dataset: 'planted', modelName: 'dup', modelType: 'logreg', window: 8, epochs: 3, batchSize: 64, seed: 3 } as TrainRequestInput;

describe('identical versions', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(2500, 3), 'mt-comma')), dataset: 'planted', symbol: 'PLNT', actor: 'test' });
  });
  afterAll(() => closeProducerBosses());

  const train = async (input: TrainRequestInput) => {
    const r = await startRun(db, input, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log });
    if (out.status !== 'succeeded') throw new Error(out.error);
    return out.version!;
  };

  it('a second run with the same data, parameters and code answers 409 naming the version; force registers it marked as a copy', async () => {
    expect(codeVersion().commit, 'the test needs to know the code commit (a git checkout or SIGNALOPS_COMMIT)').toMatch(/^[0-9a-f]{7,40}$/);
    const v1 = await train(P);
    const e = await startRun(db, { ...P, epochs: 3 }, 'user:t', { enqueue: false }).catch((x) => x);
    expect(e).toMatchObject({ code: 'CONFLICT', details: { duplicateOf: `v${v1.version}` } });
    expect(e.message).toMatch(/Model 'dup' v1 .* same data .* same parameters and code .* start with force/);
    // The order of keys or the model name given explicitly does not matter; any real change does.
    const changed = await train({ ...P, seed: 4 });
    expect(changed.version).toBe(2);
    expect((await getVersion(db, 'dup', changed.version)).lineage).not.toHaveProperty('duplicateOf');
    const forced = await train({ ...P, force: true });
    expect(forced.version).toBe(3);
    expect((await getVersion(db, 'dup', 3)).lineage).toMatchObject({ duplicateOf: 'v1' });
  });
});
