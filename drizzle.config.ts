import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` turns drizzle/schema.ts into SQL migrations under drizzle/migrations (committed).
// Generation compares schema files only; it needs no database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle/schema.ts',
  out: './drizzle/migrations',
});
