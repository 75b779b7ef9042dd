import type { CliCommand } from '../cli/types';
import { runOutcomeJob } from './resolve';

export const outcomeCommands: Record<string, CliCommand> = {
  outcomes: {
    summary: 'logged predictions → outcomes now, resolved where the bar h steps later exists (what the 5-minute job does)',
    usage: 'outcomes',
    async run(ctx) {
      const r = await runOutcomeJob(ctx.db);
      const notes = Object.entries(r.resolved.notes).map(([n, k]) => `\n  ${k} × ${n}`).join('');
      ctx.result(
        r,
        `Read ${r.collected.scanned.toLocaleString('en')} logged predictions (${r.collected.outcomes.toLocaleString('en')} new or repeated bars)${r.collected.skipped ? ` — ${r.collected.skipped}` : ''}; resolved ${r.resolved.resolved.toLocaleString('en')}, pending ${r.resolved.pending.toLocaleString('en')} (their bar h steps later is not in a dataset yet).${notes}`,
      );
    },
  },
};
