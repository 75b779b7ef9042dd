import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';

/** The tRPC route: x-request-id in and out, and `error.data.request_id` on errors (the Next.js route module itself). */
describe('tRPC request ids', () => {
  let GET: (req: Request) => Promise<Response>;
  beforeAll(async () => {
    const t = await createTestDb();
    process.env.DATABASE_URL = t.url; // appDb() of the route (config is read on first use, below)
    ({ GET } = (await import('../../app/api/trpc/[trpc]/route')) as unknown as { GET: (req: Request) => Promise<Response> });
  });

  it('echoes a sane id and tags errors with it', async () => {
    const me = await GET(new Request('http://x/api/trpc/auth.me', { headers: { 'x-request-id': 'trpc-1' } }));
    expect(me.headers.get('x-request-id')).toBe('trpc-1');
    const denied = await GET(new Request('http://x/api/trpc/system.ready', { headers: { 'x-request-id': 'bad id' } }));
    expect(denied.status).toBe(401);
    const id = denied.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = await denied.json();
    expect(body.error.data).toMatchObject({ code: 'UNAUTHORIZED', request_id: id });
    const batch = await GET(new Request('http://x/api/trpc/auth.me,system.ready?batch=1&input={}', { headers: { 'x-request-id': 'b-1' } }));
    const items = await batch.json();
    expect(items[1].error.data.request_id).toBe('b-1');
    expect(items[0].error).toBeUndefined();
  });
});
