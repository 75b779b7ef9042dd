import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Db } from '../db/client';
import { importCandles, type ImportResult } from './import';
import { findDataset } from './store';

export const DEMO_DATASET = 'demo-sp500-daily';

/** node_modules/vega-datasets/data/sp500-2000.csv (the package's exports hide data/, so find its folder). */
export function demoFilePath(): string {
  const candidates: string[] = [];
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve('vega-datasets'));
    for (let i = 0; i < 5; i++) {
      candidates.push(path.join(dir, 'data', 'sp500-2000.csv'));
      dir = path.dirname(dir);
    }
  } catch {
    /* not resolvable from here: try the working directory */
  }
  candidates.push(path.join(process.cwd(), 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv'));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`the vega-datasets package is not installed (looked for ${candidates.at(-1)}); run npm install`);
  return found;
}

/**
 * On first start: imports the daily S&P 500 (2000 onward) shipped in the vega-datasets package as
 * `demo-sp500-daily` (symbol SPX, 1d) when that dataset does not exist yet. Returns what it did.
 */
export async function importDemoDataset(db: Db, opts: { actor?: string } = {}): Promise<{ created: boolean; result: ImportResult | null }> {
  if (await findDataset(db, DEMO_DATASET)) return { created: false, result: null };
  const result = await importCandles(db, {
    source: demoFilePath(),
    dataset: DEMO_DATASET,
    symbol: 'SPX',
    timeframe: '1d',
    format: 'yahoo',
    actor: opts.actor ?? 'system',
  });
  return { created: result.created, result };
}
