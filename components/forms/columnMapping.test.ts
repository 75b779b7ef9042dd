import { describe, it, expect } from 'vitest';
import { forWebUser, guessMapping, mappingProblem, mappingSpec } from './columnMapping';
import { detectFormat, parseMappingSpec } from '../../server/market/parse/formats';
import { errorOf } from '../../server/http/rest';

/** The REST error body the Data page receives for a file whose first lines are `lines`. */
function restError(lines: string[], opts: Parameters<typeof detectFormat>[1] = {}) {
  try {
    detectFormat(lines, opts);
  } catch (e) {
    return (errorOf(e).body as { error: { message: string; field?: string; details?: Record<string, unknown> } }).error;
  }
  throw new Error('expected an error');
}

describe('column mapping on the Data page', () => {
  const header = ['When', 'O', 'H', 'L', 'C', 'Qty'];

  it('an unrecognised header answers its columns, so the page can offer them', () => {
    const err = restError([header.join(','), '2021-01-04 00:00,1,2,0.5,1.5,10']);
    expect(err.details).toMatchObject({ reason: 'unrecognised-header', header });
    expect(mappingProblem(err)).toEqual({ header, field: null });
    // Not a column problem: no mapping form.
    expect(mappingProblem({ details: { reason: 'empty' } })).toBeNull();
    expect(mappingProblem(null)).toBeNull();
  });

  it('a mapped column missing from the header names the field and answers the header too', () => {
    const err = restError([header.join(','), '2021-01-04,1,2,0.5,1.5,10'], { mapping: parseMappingSpec('ts=Date,open=O,high=H,low=L,close=C') });
    expect(err.field).toBe('ts');
    expect(mappingProblem(err)).toEqual({ header, field: 'ts' });
  });

  it('guesses the obvious columns and builds the same spec as the CLI --map', () => {
    const g = guessMapping(header);
    expect(g).toEqual({ ts: 0, time: null, open: 1, high: 2, low: 3, close: 4, volume: 5 });
    const r = mappingSpec(g, header);
    expect(r).toEqual({ ok: true, spec: 'ts=When,open=O,high=H,low=L,close=C,volume=Qty' });
    // …which the server's parser (zod) accepts and resolves against the same header.
    if (!r.ok) throw new Error('unreachable');
    const plan = detectFormat([header.join(','), '2021-01-04,1,2,0.5,1.5,10'], { mapping: parseMappingSpec(r.spec) });
    expect(plan.idx).toMatchObject({ ts: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 });
  });

  it('names the field of an incomplete or impossible mapping', () => {
    expect(mappingSpec({ ts: 0, open: 1, high: 2, low: 3, close: null }, header)).toMatchObject({ ok: false, field: 'close', message: 'Close: choose a column' });
    expect(mappingSpec({ ts: 0, open: 1, high: 9, low: 3, close: 4 }, header)).toMatchObject({ ok: false, field: 'high' });
    expect(mappingSpec({ ts: 0, time: 0, open: 1, high: 2, low: 3, close: 4 }, header)).toMatchObject({ ok: false, field: 'time' });
  });

  it('refers to awkward column names by number so they survive the spec', () => {
    const odd = ['Date, UTC', 'open', 'open', '3', 'low', 'close'];
    const r = mappingSpec({ ts: 0, open: 1, high: 2, low: 4, close: 5, volume: 3 }, odd);
    expect(r).toEqual({ ok: true, spec: 'ts=#1,open=#2,high=#3,low=low,close=close,volume=#4' });
    if (!r.ok) throw new Error('unreachable');
    const plan = detectFormat(['"Date, UTC",open,open,3,low,close', '2021-01-04,1,2,7,0.5,1.5'], { mapping: parseMappingSpec(r.spec) });
    expect(plan.idx).toMatchObject({ ts: 0, open: 1, high: 2, volume: 3, low: 4, close: 5 });
  });

  it('never tells a web user to pass a CLI flag', () => {
    const messages = [
      restError([header.join(','), '1,2,3,4,5,6']).message,
      restError([header.join(',')], { format: 'generic' }).message,
      'format: a column mapping goes with --format generic (or auto), not yahoo',
    ];
    expect(messages[0]).toMatch(/--map/); // the CLI keeps its advice…
    for (const m of messages) {
      const shown = forWebUser(m);
      expect(shown).not.toMatch(/--[a-z]/);
      expect(shown.length).toBeGreaterThan(10);
    }
    expect(forWebUser(messages[0])).toMatch(/^file: unrecognised CSV header on line 1 \(6 columns/);
  });
});
