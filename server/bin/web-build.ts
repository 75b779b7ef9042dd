import fs from 'node:fs';
import path from 'node:path';

/** Files the production build of the web app depends on. */
const SOURCES = ['app', 'components', 'server', 'drizzle', 'client', 'instrumentation.ts', 'proxy.ts', 'next.config.mjs', 'package.json', 'tsconfig.json'];

/** Newest modification time of the web app's sources (tests excluded). */
export function newestSourceMtime(root: string): number {
  let newest = 0;
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) if (!e.startsWith('.') && e !== 'node_modules') walk(path.join(p, e));
    } else if (/\.(tsx?|mjs|css|json|sql)$/.test(p) && !p.endsWith('.test.ts')) newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of SOURCES) walk(path.join(root, p));
  return newest;
}

/** The build is current when `.next/BUILD_ID` is newer than every source file (`npm start` rebuilds otherwise). */
export function buildIsCurrent(root: string): boolean {
  try {
    return fs.statSync(path.join(root, '.next/BUILD_ID')).mtimeMs >= newestSourceMtime(root);
  } catch {
    return false;
  }
}
