/** Dates and times shown in the user's language, in the server's time zone. */
import type { Locale } from '../../db/schema.ts';

export function formatTime(value: Date | null, locale: Locale): string {
  if (!value) return '';
  return value.toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'medium',
  });
}
