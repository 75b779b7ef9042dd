import { countExpiredPredictions, prunePredictionLog } from '../monitoring/retention';
import { config } from '../config';
import { CliError, type CliCommand } from './types';
import { optNumber } from './options';

const fmt = (n: number) => n.toLocaleString('en-US');
const perModel = (byModel: Record<string, number>) =>
  Object.entries(byModel)
    .map(([m, n]) => `\n  ${m.padEnd(24)} ${fmt(n).padStart(12)}`)
    .join('');

export const predictionLogCommands: Record<string, CliCommand> = {
  'prune-predictions': {
    summary: 'delete prediction-log rows past PREDICTION_LOG_RETENTION_DAYS now (what the daily job does)',
    usage: 'prune-predictions [--dry-run] [--days N]',
    options: {
      'dry-run': { type: 'boolean', description: 'count what would be deleted, delete nothing' },
      days: { type: 'string', description: 'retention in days for this run (default PREDICTION_LOG_RETENTION_DAYS)' },
    },
    async run(ctx, { values }) {
      const days = optNumber(values, 'days') ?? config().PREDICTION_LOG_RETENTION_DAYS;
      if (!(days > 0)) throw new CliError(`--days: must be a positive number of days (got ${days})`, 2);
      const dryRun = values['dry-run'] === true;
      let total = 0;
      let bar: ReturnType<typeof ctx.progress> | undefined;
      if (!dryRun) {
        total = (await countExpiredPredictions(ctx.db, { retentionDays: days })).total;
        if (total) bar = ctx.progress('deleting');
      }
      const r = await prunePredictionLog(ctx.db, { retentionDays: days, dryRun, onBatch: (b) => bar?.update(Math.min(b.deletedSoFar, total), total) });
      bar?.done();
      if (r.skipped) {
        ctx.result(r, `Nothing deleted: ${r.skipped}.`);
        return 3;
      }
      ctx.result(
        r,
        dryRun
          ? `Dry run: ${fmt(r.expired)} prediction-log rows are older than ${r.horizon} (${days} days); nothing deleted.${perModel(r.byModel)}`
          : `Deleted ${fmt(r.deleted)} prediction-log rows older than ${r.horizon} (${days} days) in ${fmt(r.batches)} statements of ≤ ${fmt(r.batchSize)} rows, ${r.seconds} s.${perModel(r.byModel)}`,
      );
    },
  },
};
