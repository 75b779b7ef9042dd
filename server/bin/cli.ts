/**
 * `npm run cli -- <command> [options]`: the operator tool. Works directly on the configured database
 * (DATABASE_URL, or the embedded one under DATA_DIR — joining a running `npm start`, booting it otherwise).
 * Every command takes --json: stdout then carries exactly one JSON document; logs and progress go to stderr.
 * Changes are recorded in the audit log as done by `cli`.
 */
process.env.SIGNALOPS_LOG_STDERR = '1';
process.env.SIGNALOPS_PROC ??= 'cli';
import { parseArgs } from 'node:util';
import { logger } from '../log';
import { openDb } from '../db/client';
import { openDatabase, describe, StartupError } from './boot';
import type { CliCommand, CliContext } from '../cli/types';
import { CliError } from '../cli/types';
import { badRequestFromZod, isDomainError, safeMessageOf } from '../errors';
import { systemCommands } from '../cli/system';
import { marketCommands } from '../market/cli';
import { trainingCommands } from '../training/cli';
import { predictionLogCommands } from '../cli/predictions';
import { promotionCommands } from '../promotion/cli';
import { outcomeCommands } from '../outcomes/cli';
import { driftCommands } from '../drift/cli';
import { onVersionRegistered } from '../jobs/handlers';
import { ZodError } from 'zod';

const COMMANDS: Record<string, CliCommand> = {
  ...systemCommands,
  ...marketCommands,
  ...trainingCommands,
  ...predictionLogCommands,
  ...promotionCommands,
  ...outcomeCommands,
  ...driftCommands,
};

function helpText(): string {
  const rows = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(64)} ${c.summary}`);
  return `SignalOps CLI\n\nusage: npm run cli -- <command> [options] [--json]\n\ncommands:\n${rows.join('\n')}\n\n  help                                                             this list\n`;
}

function makeProgress(label: string) {
  const tty = process.stderr.isTTY;
  let lastDecile = -1;
  return {
    update(done: number, total: number) {
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      if (tty) {
        const width = 30;
        const filled = Math.round(frac * width);
        process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total}`);
      } else {
        const decile = Math.floor(frac * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          process.stderr.write(`${label}: ${(frac * 100).toFixed(0)}% (${done}/${total})\n`);
        }
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  const positional = rest.filter((a) => !a.startsWith('-'));
  const name = [positional.slice(0, 2).join(' '), positional[0]].find((n) => n && COMMANDS[n]);
  if (!name || positional[0] === 'help' || rest.includes('--help')) {
    if (!name && positional.length && positional[0] !== 'help') {
      process.stderr.write(`Unknown command '${positional[0]}'.\n\n`);
      process.stderr.write(helpText());
      return 2;
    }
    process.stdout.write(json ? JSON.stringify({ commands: Object.keys(COMMANDS) }) + '\n' : helpText());
    return 0;
  }
  const cmd = COMMANDS[name];
  const words = name.split(' ').length;
  const args = rest.slice(rest.findIndex((a) => a === positional[words - 1]) + 1);
  let parsed;
  try {
    parsed = parseArgs({ args, options: (cmd.options ?? {}) as never, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${describe(e)}\nusage: npm run cli -- ${cmd.usage}`, 2);
  }

  const log = logger();
  let database;
  let handle;
  if (cmd.needsDb !== false) {
    database = await openDatabase({ owner: 'cli', boot: true, join: true, log });
    handle = openDb(database.url, { applicationName: 'signalops-cli', max: 4 });
  }
  let printed = false;
  const ctx: CliContext = {
    db: handle?.db as CliContext['db'],
    json,
    actor: 'cli',
    result(doc, human) {
      if (printed) throw new Error('a command printed two results');
      printed = true;
      process.stdout.write(json ? JSON.stringify(doc) + '\n' : (human ?? JSON.stringify(doc, null, 2)) + '\n');
    },
    info: (line) => process.stderr.write(line + '\n'),
    progress: makeProgress,
    onVersionRegistered: (v) => onVersionRegistered(handle!.db, log, v),
  };
  try {
    const code = await cmd.run(ctx, { positionals: parsed.positionals, values: parsed.values as never });
    return code ?? 0;
  } finally {
    await handle?.close();
    await database?.close();
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((e) => {
    const json = process.argv.includes('--json');
    let message: string;
    let code = 1;
    if (e instanceof CliError) {
      message = e.message;
      code = e.exitCode;
    } else if (isDomainError(e) || e instanceof StartupError) {
      message = e.message;
    } else if (e instanceof ZodError) {
      message = badRequestFromZod(e).message;
      code = 2;
    } else {
      // Never the SQL or parameters of a failed query (drizzle puts both in its message).
      message = safeMessageOf(e);
    }
    if (json) process.stdout.write(JSON.stringify({ error: { message, code: isDomainError(e) ? e.code : 'ERROR' } }) + '\n');
    process.stderr.write(`error: ${message}\n`);
    process.exit(code);
  });
