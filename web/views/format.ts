/** Dates and times shown in the user's language, in the server's time zone. */
import type { Locale } from '../../db/schema.ts';

export function formatTime(value: Date | null, locale: Locale): string {
  if (!value) return '';
  return value.toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'medium',
  });
}

/** A duration as m:ss (or h:mm:ss). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
