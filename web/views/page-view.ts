/** The per-request values every view needs (translator, actor, CSRF token, flash message). */
import type { Actor } from '../../core/access/actor.ts';
import type { Locale } from '../../db/schema.ts';
import type { Flash } from '../http.ts';
import type { T } from '../i18n/index.ts';

export interface PageView {
  t: T;
  locale: Locale;
  actor: Actor | null;
  csrf: string;
  path: string;
  flash: Flash | null;
}
