/** A person-readable message from a tRPC client error (zod field errors flattened into "field: message"). */
export function errorText(e: unknown): string {
  const err = e as { message?: string; data?: { zodError?: { fieldErrors?: Record<string, string[] | undefined>; formErrors?: string[] } | null } | null };
  const z = err?.data?.zodError;
  if (z) {
    const parts = [...(z.formErrors ?? []), ...Object.entries(z.fieldErrors ?? {}).map(([k, v]) => `${k}: ${(v ?? []).join(', ')}`)];
    if (parts.length) return parts.join('; ');
  }
  return err?.message ?? String(e);
}

/** The tRPC error code (e.g. 'CONFLICT') and structured details of a client error, when present. */
export function errorInfo(e: unknown): { code: string | null; details: Record<string, unknown> | null } {
  const err = e as { data?: { code?: string; details?: Record<string, unknown> | null } | null };
  return { code: err?.data?.code ?? null, details: err?.data?.details ?? null };
}
