'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

export const NAV_ITEMS = [
  { href: '/', label: 'Overview' },
  { href: '/data', label: 'Data' },
  { href: '/training', label: 'Training' },
  { href: '/models', label: 'Models' },
  { href: '/promotion', label: 'Promotion' },
  { href: '/drift', label: 'Drift' },
  { href: '/metrics', label: 'Metrics' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/settings', label: 'Settings' },
] as const;

/** Pages only admins see in the menu (the pages themselves check too). */
export const ADMIN_NAV_ITEMS = [{ href: '/audit', label: 'Audit' }] as const;

export function Nav({ isAdmin = false }: { isAdmin?: boolean }) {
  const path = usePathname();
  return (
    <nav className="nav" aria-label="Main">
      {[...NAV_ITEMS, ...(isAdmin ? ADMIN_NAV_ITEMS : [])].map((item) => {
        const active = item.href === '/' ? path === '/' : path.startsWith(item.href);
        return (
          <Link key={item.href} href={item.href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
