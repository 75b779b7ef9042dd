import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Providers } from '@/components/trpc/client';
import './globals.css';

export const metadata: Metadata = {
  title: 'SignalOps',
  description: 'Train, ship and watch trading-signal models.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
