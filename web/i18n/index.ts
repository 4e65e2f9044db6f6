/** Translation: pick the user's locale, look a key up, fill `{placeholders}`. */
import type { Locale } from '../../db/schema.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type { MessageKey };
export const locales: readonly Locale[] = ['en', 'zh-CN'];
export const localeNames: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

export type Params = Record<string, string | number>;
export type T = (key: MessageKey, params?: Params) => string;

export function translator(locale: Locale): T {
  const dict = dictionaries[locale];
  return (key, params) => {
    const text = dict[key] ?? en[key] ?? key;
    return params
      ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m))
      : text;
  };
}

export function isLocale(value: string | undefined): value is Locale {
  return value === 'en' || value === 'zh-CN';
}

/** The best match from an Accept-Language header. */
export function negotiateLocale(header: string | undefined): Locale {
  for (const part of (header ?? '').split(',')) {
    const tag = part.split(';')[0]?.trim().toLowerCase() ?? '';
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

export function errorKey(code: ErrorCode): MessageKey {
  return `err.${code}` satisfies MessageKey;
}

/** Translated audit action name, or the raw action when no translation exists. */
export function auditActionLabel(t: T, action: string): string {
  const key = `audit.action.${action}`;
  return key in en ? t(key as MessageKey) : action;
}
