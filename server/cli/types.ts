import type { Db } from '../db/client';

/**
 * A CLI command. Domain folders export their commands (e.g. server/market/cli.ts) and server/bin/cli.ts registers
 * them. Options are parsed with node:util parseArgs; `--json` is global.
 *
 * Contract: with `--json`, the command calls `ctx.result(doc)` exactly once and prints nothing else to stdout
 * (progress and logs go to stderr). Without `--json`, `ctx.result` prints a human-readable form.
 */
export interface CliContext {
  db: Db;
  json: boolean;
  /** Recorded as the actor of every change the CLI makes. */
  actor: 'cli';
  /** The command's one result document (JSON with --json; otherwise `human` or a pretty print of `doc`). */
  result(doc: unknown, human?: string): void;
  /** A line for the person at the terminal (stderr). */
  info(line: string): void;
  /** A progress bar on stderr (only drawn when stderr is a TTY; otherwise a line every 10%). */
  progress(label: string): { update(done: number, total: number): void; done(): void };
  /** What a run executed by the CLI does with its new version (the promotion stage's policy, wired by bin/cli.ts). */
  onVersionRegistered?: (v: { modelName: string; versionId: string; status: string; actor: string }) => Promise<unknown>;
}

export type CliOptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; description: string }>;

export interface CliCommand {
  /** One line for `cli help`. */
  summary: string;
  /** e.g. `import <file> --dataset <name> [--symbol S] [--timeframe 1h] [--strict]` */
  usage: string;
  options?: CliOptionSpec;
  /** Does it need the database? (`help` does not.) Default true. */
  needsDb?: boolean;
  /** Resolves to the exit code (0 when omitted). Throw a CliError (or a DomainError) for a clean one-line failure. */
  run(ctx: CliContext, args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }): Promise<number | void>;
}

export class CliError extends Error {
  constructor(message: string, public readonly exitCode = 1) {
    super(message);
  }
}
