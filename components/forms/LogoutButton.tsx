'use client';
import { useEffect } from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';

/** The sidebar button: goes to the logout page. */
export function LogoutButton() {
  const router = useRouter();
  return (
    <button type="button" onClick={() => router.push('/logout')} style={{ marginTop: 8, width: '100%' }}>
      Log out
    </button>
  );
}

/** Ends the session as soon as the logout page renders. */
export function LogoutNow() {
  const trpc = useTRPC();
  const logout = useMutation(trpc.auth.logout.mutationOptions());
  const { mutate } = logout;
  useEffect(() => mutate(), [mutate]);
  return (
    <div style={{ marginTop: 14 }} data-testid="logout-state">
      {logout.isSuccess ? (
        <p>You are signed out.</p>
      ) : logout.isError ? (
        <p className="error">Signing out failed: {logout.error.message}</p>
      ) : (
        <p className="muted">Signing out…</p>
      )}
      <Link href="/login">Sign in again</Link>
    </div>
  );
}
