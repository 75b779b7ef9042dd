/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by function, inclusive time by
 * function, and each sample put in one bucket of the request path (the first matching rule, in rule order, over the
 * sample's whole stack — e.g. a zod frame anywhere under the request counts as "validation").
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** ms of the profile spent outside idle and start-up; the percentages are of this. */
  busyMs: number;
  /** Module loading at start-up (not counted in the percentages). */
  startupMs: number;
  buckets: { bucket: string; ms: number; pct: number }[];
  self: { fn: string; ms: number; pct: number }[];
  inclusive: { fn: string; ms: number; pct: number }[];
  /** Top self time among the samples of the "other JS" bucket (what the rules did not name). */
  otherTop: { fn: string; ms: number; pct: number }[];
}

const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '~/')
    .replace(/^.*\/work\/main\//, '');

const label = (n: Node) => {
  const f = n.callFrame;
  const name = f.functionName || '(anonymous)';
  // tsx-compiled files report line 1 for everything: the file is enough then
  return f.url ? `${name} ${short(f.url)}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}` : name;
};

/** Buckets of the request path, most specific first. */
const RULES: [string, (n: Node) => boolean][] = [
  ['(idle)', (n) => n.callFrame.functionName === '(idle)'],
  ['(garbage collector)', (n) => n.callFrame.functionName === '(garbage collector)'],
  // start-up, not requests: compiling and loading modules (the profile covers the whole process lifetime)
  ['(start-up: loading and compiling modules)', (n) => /^(wrapSafe|compileFunction|compileSourceTextModule|parseSource|parseCJS|makeAsyncRequest|makeSyncRequest|waitForWorker|readFileUtf8|instantiateWasm|compileStreaming)$/.test(n.callFrame.functionName)],
  ['model compute (predictProba: tfjs + WASM)', (n) => /predictProba|predictLogits/.test(n.callFrame.functionName) || /@tensorflow/.test(n.callFrame.url)],
  ['micro-batcher (copy in, slice out)', (n) => /serving\/batcher/.test(n.callFrame.url)],
  ['input validation (zod)', (n) => /node_modules\/zod\//.test(n.callFrame.url)],
  ['prediction log + snapshot writes (pg, drizzle)', (n) => /prediction-log|node_modules\/(pg|pg-protocol|pg-pool|drizzle-orm|postgres-array|pg-types)\//.test(n.callFrame.url) || /history\.ts/.test(n.callFrame.url) && /flush|load|fromCandles/.test(n.callFrame.functionName)],
  ['cache (lru-cache) + input hash (crypto)', (n) => /node_modules\/lru-cache\//.test(n.callFrame.url) || /createHash|Hash|digest/.test(n.callFrame.functionName)],
  ['JSON parse / stringify', (n) => /^(parse|stringify)$/.test(n.callFrame.functionName) && !n.callFrame.url],
  ['auth (API key check)', (n) => /auth\//.test(n.callFrame.url) || /principal|guard/.test(n.callFrame.functionName)],
  ['Fetch Request/Response objects (undici)', (n) => /internal\/deps\/undici|node:internal\/webstreams|internal\/webstreams|internal\/blob/.test(n.callFrame.url)],
  ['engine request path (route, window, transform, signal)', (n) => /serving\/(engine|signal|routing|history)|market\/(transform|indicators)/.test(n.callFrame.url)],
  ['Next.js server (routing, rewrites, handlers)', (n) => /~?\/?next\/dist|\.next\/server/.test(n.callFrame.url)],
  ['node:http (parse, write)', (n) => /node:_http|node:http|_http_|node:net|node:stream|internal\/streams/.test(n.callFrame.url)],
  ['serve handler (bin/serve.ts)', (n) => /bin\/serve\.ts/.test(n.callFrame.url)],
  ['(program)', (n) => n.callFrame.functionName === '(program)'],
];

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, Node>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<string, number>();
  const inclMs = new Map<string, number>();
  const bucketMs = new Map<string, number>();
  const bucketOf = new Map<number, string>();
  const otherSelf = new Map<string, number>();
  const stackOf = (id: number) => {
    const s: Node[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) s.push(byId.get(cur)!);
    return s;
  };
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000; // the delta that follows a sample is its duration
    const id = p.samples[i];
    total += ms;
    const node = byId.get(id)!;
    selfMs.set(label(node), (selfMs.get(label(node)) ?? 0) + ms);
    const stack = stackOf(id);
    for (const l of new Set(stack.map(label))) inclMs.set(l, (inclMs.get(l) ?? 0) + ms);
    let b = bucketOf.get(id);
    if (!b) {
      b = 'other JS';
      outer: for (const [name, rule] of RULES) for (const n of stack) if (rule(n)) {
        b = name;
        break outer;
      }
      bucketOf.set(id, b);
    }
    bucketMs.set(b, (bucketMs.get(b) ?? 0) + ms);
    if (b === 'other JS') otherSelf.set(label(node), (otherSelf.get(label(node)) ?? 0) + ms);
  }
  const idle = bucketMs.get('(idle)') ?? 0;
  const startup = bucketMs.get('(start-up: loading and compiling modules)') ?? 0;
  // percentages are of the busy time outside start-up: the request path under load
  const busy = total - idle - startup;
  const pct = (v: number) => Math.round((1000 * v) / busy) / 10;
  const list = (m: Map<string, number>, exclude: (k: string) => boolean) =>
    [...m.entries()]
      .filter(([k]) => !exclude(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => ({ k, ms: Math.round(v), pct: pct(v) }));
  return {
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    startupMs: Math.round(startup),
    buckets: list(bucketMs, (k) => k === '(idle)' || k.startsWith('(start-up')).map(({ k, ms, pct }) => ({ bucket: k, ms, pct })),
    self: list(selfMs, (k) => k === '(idle)').map(({ k, ms, pct }) => ({ fn: k, ms, pct })),
    otherTop: list(otherSelf, () => false).map(({ k, ms, pct }) => ({ fn: k, ms, pct })),
    inclusive: list(inclMs, (k) => /^\((root|idle|program)\)/.test(k)).map(({ k, ms, pct }) => ({ fn: k, ms, pct })),
  };
}
