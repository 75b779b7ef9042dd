/**
 * Promotion from the terminal: `promote`, `rollback`, `canary …`, `shadow`, `promotion status|history|split|policy`.
 * The same domain functions as tRPC and REST; the actor is `cli`; every change needs `--comment`.
 */
import { CliError, type CliCommand, type CliContext } from '../cli/types';
import { optList, optNumber, optString } from '../cli/options';
import { canaryControl, canaryStart, history, promote, promotionView, rollback, setPolicy, setShadow, setSplit } from './actions';
import type { PromotionSnapshot } from './shapes';

const comment = { comment: { type: 'string' as const, short: 'm', description: 'why (required for every change; recorded in the history)' } };

const splitText = (s: PromotionSnapshot) => s.split.map((e) => `v${e.version} ${e.percent} %`).join(', ') || 'no traffic';
export function snapshotText(s: PromotionSnapshot): string {
  const aliases = Object.entries(s.aliases).map(([a, r]) => `@${a}=v${r.version}`).join(' ');
  const canary = s.canary ? `; canary v${s.canary.version.version} ${s.canary.status} at step ${s.canary.step + 1}/${s.canary.config.steps.length} (${s.canary.config.steps[s.canary.step]} %)` : '';
  const shadow = s.shadow ? `; shadow v${s.shadow.version} on ${Math.round(s.shadow.sample * 100)} %` : '';
  return `${splitText(s)}${aliases ? ` ${aliases}` : ''}${canary}${shadow}; new versions: ${s.policy.mode}${s.policy.mode === 'fixed' ? ` ${s.policy.percent} %` : ''}`;
}

function need(positionals: string[], n: number, usage: string) {
  if (positionals.length < n) throw new CliError(`usage: npm run cli -- ${usage}`, 2);
  return positionals;
}

const changed = (ctx: CliContext, model: string, r: { revision: number; snapshot: PromotionSnapshot; changed: boolean; message?: string; historyId: number | null }) =>
  ctx.result(r, `${r.changed ? '' : 'nothing changed — '}${model} (revision ${r.revision}${r.historyId ? `, history #${r.historyId}` : ''}): ${r.message ? `${r.message}\n  ` : ''}${snapshotText(r.snapshot)}`);

export const promotionCommands: Record<string, CliCommand> = {
  promote: {
    summary: "give a version N % of its model's traffic (the champion the rest); 100 makes it champion",
    usage: 'promote <model> <version> [--percent 100] --comment "why"',
    options: { percent: { type: 'string', description: 'traffic percent, 0–100 (default 100)' }, ...comment },
    async run(ctx, { positionals, values }) {
      const [model, version] = need(positionals, 2, this.usage);
      changed(ctx, model, await promote(ctx.db, { model, version, percent: optNumber(values, 'percent') ?? 100, comment: optString(values, 'comment') }, ctx.actor));
    },
  },
  rollback: {
    summary: 'return a model to the state after a history entry (default: undo the latest change)',
    usage: 'rollback <model> [--to <history id>] --comment "why"',
    options: { to: { type: 'string', description: 'history entry id (promotion history <model>)' }, ...comment },
    async run(ctx, { positionals, values }) {
      const [model] = need(positionals, 1, this.usage);
      let to = optNumber(values, 'to');
      if (to === undefined) {
        const [, previous] = await history(ctx.db, { model, limit: 2 });
        if (!previous) throw new CliError(`${model} has no earlier state to return to (its history has fewer than two entries).`);
        to = previous.id;
      }
      changed(ctx, model, await rollback(ctx.db, { model, to, comment: optString(values, 'comment') }, ctx.actor));
    },
  },
  'canary start': {
    summary: 'step a version up against the champion with automatic checks and rollback',
    usage: 'canary start <model> <version> [--steps 10,25,50,100] [--interval 300] [--threshold 2] [--max-error-rate 1] [--max-p99-ms 1000] [--min-requests 50] --comment "why"',
    options: {
      steps: { type: 'string', description: 'traffic percent per step, increasing' },
      interval: { type: 'string', description: 'seconds per step' },
      threshold: { type: 'string', description: 'failed checks before rollback' },
      'max-error-rate': { type: 'string', description: 'percent' },
      'max-p99-ms': { type: 'string', description: 'milliseconds' },
      'min-requests': { type: 'string', description: 'per step' },
      ...comment,
    },
    async run(ctx, { positionals, values }) {
      const [model, version] = need(positionals, 2, this.usage);
      const steps = optList(values, 'steps')?.map(Number);
      const given = {
        steps,
        intervalSeconds: optNumber(values, 'interval'),
        threshold: optNumber(values, 'threshold'),
        maxErrorRatePct: optNumber(values, 'max-error-rate'),
        maxP99Ms: optNumber(values, 'max-p99-ms'),
        minRequests: optNumber(values, 'min-requests'),
      };
      const config = Object.values(given).some((x) => x !== undefined) ? Object.fromEntries(Object.entries(given).filter(([, x]) => x !== undefined)) : undefined;
      changed(ctx, model, await canaryStart(ctx.db, { model, version, config, comment: optString(values, 'comment') }, ctx.actor));
    },
  },
  ...Object.fromEntries(
    (['pause', 'resume', 'abort'] as const).map((action) => [
      `canary ${action}`,
      {
        summary: `${action} the model's canary${action === 'abort' ? ' (the champion gets 100 % back)' : ''}`,
        usage: `canary ${action} <model> --comment "why"`,
        options: { ...comment },
        async run(ctx, { positionals, values }) {
          const [model] = need(positionals, 1, `canary ${action} <model> --comment "why"`);
          changed(ctx, model, await canaryControl(ctx.db, action, { model, comment: optString(values, 'comment') }, ctx.actor));
        },
      } satisfies CliCommand,
    ]),
  ),
  'canary status': {
    summary: "the model's canary: step, checks and their figures, next evaluation",
    usage: 'canary status <model>',
    async run(ctx, { positionals }) {
      const [model] = need(positionals, 1, this.usage);
      const c = (await promotionView(ctx.db, model)).snapshot.canary;
      if (!c) return ctx.result({ model, canary: null }, `${model} has no canary.`);
      const last = c.evaluations.at(-1);
      const checks = last ? last.checks.map((k) => `\n  ${k.passed ? 'pass' : 'FAIL'} ${k.id.padEnd(24)} ${k.value === null ? 'no data' : k.value.toFixed(2)} ${k.unit} (limit ${k.limit})`).join('') : '\n  no step evaluated yet';
      ctx.result({ model, canary: c }, `${model}: canary v${c.version.version} vs champion v${c.champion.version} — ${c.status}, step ${c.step + 1}/${c.config.steps.length} (${c.config.steps[c.step]} %), failed checks ${c.failedChecks}/${c.config.threshold}${c.nextCheckAt ? `, next check ${c.nextCheckAt}` : ''}${c.endReason ? `\n  ${c.endReason}` : ''}${checks}`);
    },
  },
  shadow: {
    summary: "mirror a share of the model's requests to a version (never returned); 'off' stops it",
    usage: 'shadow <model> <version|off> [--sample 1] --comment "why"',
    options: { sample: { type: 'string', description: 'share of requests mirrored, 0 < x ≤ 1 (default 1)' }, ...comment },
    async run(ctx, { positionals, values }) {
      const [model, version] = need(positionals, 2, this.usage);
      changed(ctx, model, await setShadow(ctx.db, { model, version: version === 'off' ? null : version, sample: optNumber(values, 'sample') ?? 1, comment: optString(values, 'comment') }, ctx.actor));
    },
  },
  'promotion status': {
    summary: "a model's split, aliases, policy, canary and shadow, with its versions",
    usage: 'promotion status <model>',
    async run(ctx, { positionals }) {
      const [model] = need(positionals, 1, this.usage);
      const v = await promotionView(ctx.db, model);
      const rows = v.versions.map((x) => `\n  v${String(x.version).padEnd(4)} ${x.status.padEnd(10)} ${x.modelType.padEnd(7)} ${String(x.percent).padStart(3)} %  ${x.aliases.map((a) => `@${a}`).join(' ')}${x.shadow ? ' (shadow)' : ''}`);
      ctx.result(v, `${model} (revision ${v.revision}): ${snapshotText(v.snapshot)}${rows.join('')}`);
    },
  },
  'promotion history': {
    summary: "a model's promotion history, newest first: who, when, what, why",
    usage: 'promotion history <model> [--limit 50]',
    options: { limit: { type: 'string', description: 'entries (default 50)' } },
    async run(ctx, { positionals, values }) {
      const [model] = need(positionals, 1, this.usage);
      const h = await history(ctx.db, { model, limit: optNumber(values, 'limit') ?? 50 });
      ctx.result(
        { model, history: h },
        h.length
          ? h.map((e) => `#${e.id} ${e.at.toISOString()} ${e.actor} ${e.action}: ${e.comment ?? e.automatic?.message ?? ''}\n    ${splitText(e.before)} → ${splitText(e.after)}`).join('\n')
          : `${model} has no promotion history.`,
      );
    },
  },
  'promotion split': {
    summary: "set a model's whole split, e.g. v1=75,v2=25",
    usage: 'promotion split <model> v1=75,v2=25 [--revision R] --comment "why"',
    options: { revision: { type: 'string', description: 'fail with 409 when the model changed since this revision' }, ...comment },
    async run(ctx, { positionals, values }) {
      const [model, spec] = need(positionals, 2, this.usage);
      const split = spec.split(',').map((part) => {
        const m = part.trim().match(/^(v?\d+)=(\d+)$/);
        if (!m) throw new CliError(`split: '${part}' should look like v1=75`, 2);
        return { version: m[1], percent: Number(m[2]) };
      });
      changed(ctx, model, await setSplit(ctx.db, { model, split, revision: optNumber(values, 'revision'), comment: optString(values, 'comment') }, ctx.actor));
    },
  },
  'promotion policy': {
    summary: 'what happens to a new version of the model: none, shadow, fixed (10 %), canary',
    usage: 'promotion policy <model> <none|shadow|fixed|canary> [--percent 10] [--sample 1] [--no-first-champion] --comment "why"',
    options: {
      percent: { type: 'string', description: "for 'fixed'" },
      sample: { type: 'string', description: "for 'shadow'" },
      'no-first-champion': { type: 'boolean', description: "don't make the first version that passes the gate champion" },
      ...comment,
    },
    async run(ctx, { positionals, values }) {
      const [model, mode] = need(positionals, 2, this.usage);
      const current = (await promotionView(ctx.db, model)).snapshot.policy;
      const policy = {
        ...current,
        mode: mode as never,
        ...(optNumber(values, 'percent') !== undefined ? { percent: optNumber(values, 'percent') } : {}),
        ...(optNumber(values, 'sample') !== undefined ? { shadowSample: optNumber(values, 'sample') } : {}),
        ...(values['no-first-champion'] ? { firstBecomesChampion: false } : {}),
      };
      changed(ctx, model, await setPolicy(ctx.db, { model, policy, comment: optString(values, 'comment') }, ctx.actor));
    },
  },
};
