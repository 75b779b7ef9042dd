import { z } from 'zod';

/** A market symbol as clients send it (EURUSD, BTC/USDT, ES.c.0, …). */
export const ZSymbol = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,31}$/, 'symbol must be 1-32 letters, digits or . _ : / - (e.g. EURUSD, BTC/USDT)');

/** Symbols are compared case-insensitively: stored and looked up in upper case. */
export const normalSymbol = (s: string) => s.trim().toUpperCase();
