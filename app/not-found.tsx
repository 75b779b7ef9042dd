import Link from 'next/link';
import { connection } from 'next/server';
import { AuthCard } from '@/components/ui/AuthCard';

/**
 * The 404 page of unmatched URLs. Rendered per request (connection()), not prerendered at build: every page runs
 * under a nonce-based CSP (proxy.ts), and only a page rendered for the request carries that request's nonce on its
 * scripts — a prerendered 404 would have its scripts blocked.
 */
export default async function NotFound() {
  await connection();
  return (
    <AuthCard>
      <p style={{ margin: 0 }}>There is no page at this address.</p>
      <p className="muted" style={{ marginBottom: 0 }}>
        <Link href="/">Go to the overview</Link>
      </p>
    </AuthCard>
  );
}
