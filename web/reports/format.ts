/** Showing report figures: counts, percentages, durations, times of day, time slots and row names. */
import type { Entity, Granularity, ReportColumn } from '../../cti/stats/reports.ts';
import type { Locale } from '../../db/schema.ts';
import type { MessageKey, T } from '../i18n/index.ts';
import { formatDuration } from '../views/format.ts';

export type Unit = ReportColumn['unit'];

const intl = (locale: Locale) => (locale === 'zh-CN' ? 'zh-CN' : 'en-GB');

export function formatValue(unit: Unit, v: number | null, locale: Locale, tz: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (unit === 'percent') return `${(v * 100).toFixed(1)}%`;
  if (unit === 'duration') return formatDuration(v);
  if (unit === 'time')
    return new Intl.DateTimeFormat(intl(locale), {
      timeZone: tz,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    }).format(new Date(v));
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** A time slot as the granularity reads: 2026-11-25 08:15, 2026-11-25, week of 2026-11-23, 2026-11. */
export function slotLabel(slot: Date, g: Granularity, tz: string, t: T): string {
  const date = new Intl.DateTimeFormat('sv-SE', { timeZone: tz }).format(slot);
  if (g === 'month') return date.slice(0, 7);
  if (g === 'week') return t('report.week_of', { date });
  if (g === 'day') return date;
  const time = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(slot);
  return `${date} ${time}`;
}

export function entityLabel(t: T, e: Omit<Entity, 'id'> | null): string {
  if (!e) return '';
  if (!e.labelKey) return e.label;
  const named = t(e.labelKey as MessageKey);
  return e.label ? `${e.label} · ${named}` : named;
}

export function columnLabel(t: T, col: ReportColumn): string {
  return col.title ? entityLabel(t, col.title) : t(`kpi.${col.key}` as MessageKey);
}

export function columnHelp(t: T, col: ReportColumn): string {
  return col.title ? t('report.break_reason_help') : t(`kpi.${col.key}.help` as MessageKey);
}
