import { describe, it, expect } from 'vitest';
import { describeDetails, queryOf } from './describe';

describe('audit page helpers', () => {
  it('shows from → to per field, creations and removals', () => {
    expect(describeDetails({ from: { role: 'analyst' }, to: { role: 'admin' }, passwordChanged: false })).toEqual(['role: analyst → admin']);
    expect(describeDetails({ to: { scopes: ['read'] }, id: 'k1' })).toEqual(['scopes: ["read"]', 'id: k1']);
    expect(describeDetails({ from: { cron: '0 * * * *' }, to: null })).toEqual(['cron was 0 * * * *', '(removed)']);
    expect(describeDetails({ aggregated: true, count: 12 })).toEqual(['aggregated: true', 'count: 12']);
    expect(describeDetails(null)).toEqual([]);
    expect(describeDetails({ role: 'admin', to: { role: 'admin' }, firstStart: true })).toEqual(['role: admin', 'firstStart: true']);
  });
  it('builds query strings without empty filters', () => {
    expect(queryOf({ actor: 'user:a', outcome: '' }, { before: 10 })).toBe('?actor=user%3Aa&before=10');
    expect(queryOf({})).toBe('');
  });
});
