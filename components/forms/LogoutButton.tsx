'use client';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/app/_trpc/client';

export function LogoutButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: () => {
        router.replace('/login');
        router.refresh();
      },
    }),
  );
  return (
    <button type="button" onClick={() => logout.mutate()} disabled={logout.isPending} style={{ marginTop: 8, width: '100%' }}>
      Log out
    </button>
  );
}
