import path from 'node:path';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { CliError, type CliCommand, type CliContext } from '../cli/types';
import { optList, optNumber, optString, parseOptions, requiredString, type OptionValues } from '../cli/options';
import { startRun, getRun, cancelRun, type Run } from './runs';
import { executeRun } from './pipeline';
import { ZTrainRequest, type TrainRequestInput } from './params';
import { listModels, getVersion } from '../registry/versions';
import { listWorkers } from '../jobs/heartbeat';
import { importCandles } from '../market/import';
import { config } from '../config';
import { logger } from '../log';
import { MODEL_TYPES } from '../ml/models';

/** CLI option → training request field (numbers parsed; zod then checks ranges and names the field). */
const TRAIN_OPTIONS = {
  dataset: { type: 'string', description: 'dataset name (see `datasets`)' },
  model: { type: 'string', description: `model type: ${MODEL_TYPES.join(', ')} (default lstm)` },
  name: { type: 'string', description: 'registry name (default <dataset>-<model>)' },
  units: { type: 'string', description: 'hidden units (default 64)' },
  window: { type: 'string', description: 'window T in bars (default 30)' },
  horizon: { type: 'string', description: 'label horizon in bars (default 12)' },
  k: { type: 'string', description: 'label threshold k × ATR (default 1)' },
  threshold: { type: 'string', description: 'fixed label threshold (fraction) instead of k × ATR' },
  epochs: { type: 'string', description: 'max epochs (default 30)' },
  'batch-size': { type: 'string', description: 'batch size (default 128)' },
  lr: { type: 'string', description: 'learning rate (default 0.001)' },
  patience: { type: 'string', description: 'early-stopping patience (default 5)' },
  seed: { type: 'string', description: 'seed (default 42)' },
  'cost-bps': { type: 'string', description: 'backtest cost per side in bp (default 2)' },
  force: { type: 'boolean', description: 'cancel the model’s active run first' },
  wait: { type: 'boolean', description: 'wait for the run to end, with a progress bar on stderr' },
  inline: { type: 'boolean', description: 'run the training in this process instead of a worker (implies --wait)' },
} as const;


function trainRequestFrom(values: OptionValues): TrainRequestInput {
  const input: Record<string, unknown> = {
    dataset: requiredString(values, 'dataset', '(see `npm run cli -- datasets`)'),
    modelType: optString(values, 'model'),
    modelName: optString(values, 'name'),
    units: optNumber(values, 'units'),
    window: optNumber(values, 'window'),
    horizon: optNumber(values, 'horizon'),
    k: optNumber(values, 'k'),
    threshold: optNumber(values, 'threshold'),
    labelKind: values.threshold !== undefined ? 'pct' : undefined,
    epochs: optNumber(values, 'epochs'),
    batchSize: optNumber(values, 'batch-size'),
    learningRate: optNumber(values, 'lr'),
    patience: optNumber(values, 'patience'),
    seed: optNumber(values, 'seed'),
    costBps: optNumber(values, 'cost-bps'),
    force: values.force === true ? true : undefined,
  };
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  return parseOptions(ZTrainRequest, input, { modelType: 'model', modelName: 'name', batchSize: 'batch-size', learningRate: 'lr', costBps: 'cost-bps' });
}

async function runResult(ctx: CliContext, run: Run) {
  const version = run.result ? await getVersion(ctx.db, run.result.model, run.result.version) : null;
  return {
    run: { id: run.id, status: run.status, model: run.modelName, modelType: run.modelType, dataset: run.dataset, error: run.error, stages: run.stages, epochs: run.history.length, startedAt: run.startedAt, endedAt: run.endedAt },
    version: version
      ? { model: version.model, version: version.label, status: version.status, metrics: version.metrics, gate: version.gate, indicatorWeights: version.indicatorWeights, lineage: version.lineage }
      : null,
  };
}

/** Polls the run, drawing a progress bar, until it ends. */
async function waitForRun(ctx: CliContext, id: string): Promise<Run> {
  const bar = ctx.progress('training');
  let lastStage = '';
  for (;;) {
    const run = await getRun(ctx.db, id);
    const history = run.history;
    const stage = run.stages.find((s) => s.status === 'running')?.name ?? run.status;
    if (stage !== lastStage && !process.stderr.isTTY) ctx.info(`stage: ${stage}`);
    lastStage = stage;
    const last = history.at(-1);
    bar.update(last?.epoch ?? 0, run.params.epochs);
    if (!['queued', 'running'].includes(run.status)) {
      bar.done();
      return run;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function summary(doc: Awaited<ReturnType<typeof runResult>>): string {
  const r = doc.run;
  if (!doc.version) return `run ${r.id}: ${r.status}${r.error ? ` — ${r.error}` : ''}`;
  const m = doc.version.metrics;
  const g = doc.version.gate;
  // Stored figures may be null (non-finite); accuracy and macro-F1 figures of a registered version are finite.
  return [
    `run ${r.id}: ${r.status} → ${doc.version.model} ${doc.version.version} (${doc.version.status})`,
    `  test accuracy ${(m.accuracy! * 100).toFixed(1)}%, macro-F1 ${m.macroF1!.toFixed(3)} [${m.macroF1CI.lower!.toFixed(3)}, ${m.macroF1CI.upper!.toFixed(3)}]`,
    `  baselines macro-F1: majority ${m.baselines.majority.macroF1!.toFixed(3)}, prior-random ${m.baselines.priorRandom.macroF1!.toFixed(3)}, logreg ${m.baselines.logreg?.macroF1!.toFixed(3) ?? '—'}`,
    `  win rate ${m.winRate.winRate === null ? '—' : (m.winRate.winRate * 100).toFixed(1) + '%'}, backtest Sharpe ${m.backtest.sharpe?.toFixed(2) ?? '—'} over ${m.backtest.trades} trades`,
    `  gate ${g.passed ? 'PASSED' : 'FAILED'}: ${g.reasons.join('; ')}`,
    ...g.warnings.map((w) => `  warning: ${w}`),
  ].join('\n');
}

async function ensureWorker(ctx: CliContext) {
  const alive = (await listWorkers(ctx.db, config().WORKER_STALE_SECONDS)).filter((w) => w.state === 'alive');
  if (!alive.length) ctx.info('note: no worker is running, so the run stays queued until one starts (`npm run worker`, `npm start`), or use --inline.');
}

const train: CliCommand = {
  summary: 'start a training run (queued for a worker; --wait shows progress; --inline trains here)',
  usage: 'train --dataset D [--model lstm] [--epochs 30] [--window 30] [--horizon 12] [--force] [--wait|--inline]',
  options: TRAIN_OPTIONS,
  async run(ctx, { values }) {
    const req = trainRequestFrom(values);
    const inline = values.inline === true;
    const run = await startRun(ctx.db, req, ctx.actor, { enqueue: !inline, trigger: inline ? 'cli --inline' : 'cli' });
    if (inline) {
      ctx.info(`training ${run.modelName} in this process (run ${run.id})`);
      const bar = ctx.progress('training');
      const poll = async () => {
        const r = await getRun(ctx.db, run.id).catch(() => null);
        const h = r?.history.at(-1);
        if (h) bar.update(h.epoch, req.epochs ?? 30);
      };
      const timer = setInterval(() => void poll(), 1000);
      await executeRun(ctx.db, run.id, { workerId: `cli-${process.pid}`, log: logger(), onRegistered: ctx.onVersionRegistered });
      clearInterval(timer);
      bar.done();
    } else if (values.wait) {
      await ensureWorker(ctx);
      await waitForRun(ctx, run.id);
    } else {
      const doc = await runResult(ctx, await getRun(ctx.db, run.id));
      ctx.result(doc, `queued run ${run.id} for model '${run.modelName}'. Follow it on the Training page or with \`train --wait\`.`);
      return;
    }
    const doc = await runResult(ctx, await getRun(ctx.db, run.id));
    ctx.result(doc, summary(doc));
    return doc.run.status === 'succeeded' ? 0 : 1;
  },
};

const cancel: CliCommand = {
  summary: 'cancel a queued or running training run',
  usage: 'cancel <run id>',
  async run(ctx, { positionals }) {
    const id = positionals[0];
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new CliError('give the run id (a UUID; see the Training page or `training-status`)', 2);
    const r = await cancelRun(ctx.db, id, ctx.actor);
    ctx.result({ run: { id: r.id, status: r.status } }, `run ${r.id}: ${r.status}`);
  },
};

const models: CliCommand = {
  summary: 'models and their versions (status, key metrics)',
  usage: 'models',
  async run(ctx) {
    const list = await listModels(ctx.db);
    const f = (v: number | null, d = 3) => (v === null || v === undefined ? '—' : v.toFixed(d));
    ctx.result(
      { models: list },
      list.length
        ? list
            .map((m) => [m.name, ...m.versions.map((v) => `  ${v.label.padEnd(4)} ${v.status.padEnd(9)} ${v.modelType.padEnd(6)} acc ${f(v.accuracy)} macro-F1 ${f(v.macroF1)} win ${f(v.winRate)} sharpe ${f(v.sharpe, 2)}  ${v.dataset ?? ''}`)].join('\n'))
            .join('\n')
        : 'No models yet — train one: npm run cli -- train --dataset demo-sp500-daily --wait',
    );
  },
};

/**
 * `eval <csv>`: imports a file into a scratch dataset, trains the chosen models and the logreg reference on the
 * same splits in this process, and prints one table with the naive baselines. Honest numbers on real markets.
 */
const evaluate: CliCommand = {
  summary: 'import a CSV into a scratch dataset, train the zoo on the same splits, print one table',
  usage: 'eval <csv> [--model lstm,gru,mlp,logreg] [--epochs 30] [--window 30] [--horizon 12] [--k 1]',
  options: { ...TRAIN_OPTIONS, model: { type: 'string', description: 'comma-separated model types (default lstm,gru,mlp,logreg)' } },
  async run(ctx, { positionals, values }) {
    const file = positionals[0];
    if (!file) throw new CliError('give the CSV file to evaluate on', 2);
    if (!fs.existsSync(file)) throw new CliError(`no such file: ${file}`, 2);
    const types = optList(values, 'model') ?? ['lstm', 'gru', 'mlp', 'logreg'];
    for (const t of types) if (!(MODEL_TYPES as readonly string[]).includes(t)) throw new CliError(`--model: unknown model type '${t}' (use ${MODEL_TYPES.join(', ')})`, 2);
    const base = path.basename(file).replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
    const hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 8);
    const dataset = `eval-${base}-${hash}`.slice(0, 64);
    const imp = await importCandles(ctx.db, { source: file, dataset, actor: ctx.actor });
    ctx.info(`dataset ${dataset}: ${imp.rowCount} bars (${imp.inserted} new), ${imp.first} → ${imp.last}`);
    const rows: Array<Record<string, unknown>> = [];
    let baselines: Record<string, { accuracy: number | null; macroF1: number | null }> | null = null;
    for (const type of types) {
      const req = trainRequestFrom({ ...values, dataset, model: type, name: `${dataset}-${type}`.slice(0, 64), force: true });
      const run = await startRun(ctx.db, req, ctx.actor, { enqueue: false, trigger: 'cli eval' });
      ctx.info(`training ${type}…`);
      const t0 = Date.now();
      const out = await executeRun(ctx.db, run.id, { workerId: `cli-${process.pid}`, log: logger(), onRegistered: ctx.onVersionRegistered });
      const doc = await runResult(ctx, await getRun(ctx.db, run.id));
      if (!doc.version) {
        rows.push({ model: type, error: out.error ?? doc.run.error });
        continue;
      }
      const m = doc.version.metrics;
      baselines ??= { majority: m.baselines.majority, 'prior-random': m.baselines.priorRandom };
      rows.push({
        model: type,
        version: doc.version.version,
        status: doc.version.status,
        accuracy: m.accuracy,
        macroF1: m.macroF1,
        macroF1CI: [m.macroF1CI.lower, m.macroF1CI.upper],
        winRate: m.winRate.winRate,
        signals: m.winRate.signals,
        sharpe: m.backtest.sharpe,
        totalReturn: m.backtest.totalReturn,
        maxDrawdown: m.backtest.maxDrawdown,
        trades: m.backtest.trades,
        ece: m.calibration.eceAfter,
        testSamples: m.testSamples,
        trainSeconds: Math.round((Date.now() - t0) / 100) / 10,
      });
    }
    const f = (v: unknown, d = 3) => (typeof v === 'number' ? v.toFixed(d) : '—');
    const lines = [
      `| model | status | accuracy | macro-F1 [95% CI] | win rate | signals | Sharpe | trades | ECE | seconds |`,
      `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
      ...rows.map((r) =>
        r.error
          ? `| ${r.model} | failed: ${r.error} | | | | | | | | |`
          : `| ${r.model} | ${r.status} | ${f(r.accuracy)} | ${f(r.macroF1)} [${f((r.macroF1CI as number[])[0])}, ${f((r.macroF1CI as number[])[1])}] | ${f(r.winRate)} | ${r.signals} | ${f(r.sharpe, 2)} | ${r.trades} | ${f(r.ece)} | ${r.trainSeconds} |`,
      ),
      ...Object.entries(baselines ?? {}).map(([k, b]) => `| ${k} (baseline) | — | ${f(b.accuracy)} | ${f(b.macroF1)} | | | | | | |`),
    ];
    ctx.result({ dataset, bars: imp.rowCount, range: [imp.first, imp.last], models: rows, baselines }, lines.join('\n'));
  },
};

export const trainingCommands: Record<string, CliCommand> = { train, cancel, models, eval: evaluate };
