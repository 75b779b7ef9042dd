import type { CliCommand } from '../cli/types';
import { optNumber, optString } from '../cli/options';
import { CliError } from '../cli/types';
import { listReports, tradingShape } from './report';
import { driftAndMaybeRetrain } from './retrain';

export const driftCommands: Record<string, CliCommand> = {
  drift: {
    summary: "a drift report for a model's served version now (and what its retraining policy does)",
    usage: 'drift <model> [--version N] [--hours 24 | --dataset D --bars 500]',
    options: {
      version: { type: 'string', description: 'default: the champion' },
      hours: { type: 'string', description: "hours of the model's requests (default: its policy, 24)" },
      dataset: { type: 'string', description: 'instead: the latest bars of this dataset' },
      bars: { type: 'string', description: 'with --dataset (default 500)' },
    },
    async run(ctx, { positionals, values }) {
      const model = positionals[0];
      if (!model) throw new CliError(`usage: npm run cli -- ${this.usage}`, 2);
      const r = await driftAndMaybeRetrain(ctx.db, { model, version: optString(values, 'version'), hours: optNumber(values, 'hours'), dataset: optString(values, 'dataset'), bars: optNumber(values, 'bars') }, { actor: ctx.actor, trigger: 'cli' });
      const rows = r.body.indicators.map((i) => `\n  ${i.drifted ? 'DRIFT' : 'ok   '} ${i.name.padEnd(18)} ${i.test.padEnd(11)} ${i.statistic === null ? '—' : i.statistic.toFixed(3)} (limit ${i.threshold.toFixed(3)}, p ${i.pValue === null ? '—' : i.pValue.toPrecision(2)}, PSI ${i.psi === null ? '—' : i.psi.toFixed(3)})`);
      ctx.result({ ...tradingShape(r), report: r }, `${model} v${r.version} — ${r.status}: ${r.body.summary}${rows.join('')}\n  retraining: ${r.body.retraining?.reason ?? '—'}`);
    },
  },
  'drift reports': {
    summary: "a model's drift reports, newest first",
    usage: 'drift reports <model> [--limit 20]',
    options: { limit: { type: 'string', description: 'reports (default 20)' } },
    async run(ctx, { positionals, values }) {
      const model = positionals[0];
      if (!model) throw new CliError(`usage: npm run cli -- ${this.usage}`, 2);
      const r = await listReports(ctx.db, model, optNumber(values, 'limit') ?? 20);
      ctx.result({ model, reports: r }, r.map((x) => `#${x.id} ${x.createdAt.toISOString()} v${x.version} ${x.status}${x.driftShare !== null ? ` (${Math.round(x.driftShare * 100)} % of inputs)` : ''} ${x.trigger} by ${x.actor}`).join('\n') || `${model} has no drift reports.`);
    },
  },
};
