/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts. Each benchmark prints its figures as it goes and, as its
 * LAST output line, one JSON object with all of them. Benchmarks measure; tests never assert wall-clock times.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

const [name, ...args] = process.argv.slice(2);
const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && !['run.ts'].includes(f) && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args]`);
  process.exit(2);
}
const mod = (await import(path.join(import.meta.dirname, `${name}.ts`))) as { main(args: string[]): Promise<void> };
await mod.main(args);
