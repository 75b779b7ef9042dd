import type { CSSProperties } from 'react';
import { errorText } from '@/components/forms/trpcError';

/**
 * A request's or a form's error, announced to screen readers (role="alert"); renders nothing when there is none.
 * `error`: a tRPC client error (zod field errors become "field: message", components/forms/trpcError.ts), a message,
 * or a list of messages (joined with "; ").
 */
export function ErrorAlert({ error, inline, testId, style }: { error: unknown; inline?: boolean; testId?: string; style?: CSSProperties }) {
  if (error === null || error === undefined || error === false || error === '') return null;
  const text = Array.isArray(error) ? error.join('; ') : typeof error === 'string' ? error : errorText(error);
  const Tag = inline ? 'span' : 'div';
  return (
    <Tag className="error" role="alert" data-testid={testId} style={style}>
      {text}
    </Tag>
  );
}
