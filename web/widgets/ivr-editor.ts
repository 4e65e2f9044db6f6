/**
 * The IVR editor (IVR 导航编辑): the menus as a tree from the welcome menu down, each with its
 * prompt (previewed in the browser) and its keys; sub-menus are added, moved (by pointing a key
 * at another menu) and deleted in place; settings, caller rules and service hours below. Save
 * sends the whole IVR as JSON; the server validates it and the problems are shown at their menu.
 */
import { html, LitElement, nothing, type TemplateResult } from 'lit';
import type { ServiceHours } from '../../cti/ivr/hours.ts';
import type { IvrAction, IvrActionType, IvrMenu, IvrTree } from '../../cti/ivr/tree.ts';

interface Choice {
  id: number;
  name: string;
}

export interface EditorData {
  id: number;
  name: string;
  language: string;
  tree: IvrTree;
  hours: ServiceHours;
  prompts: Choice[];
  groups: Choice[];
  agents: Choice[];
  labels: Record<string, string>;
  saveUrl: string;
}

interface Problem {
  menu: string;
  key?: string;
  message: string;
}

const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];
const actionTypes: IvrActionType[] = [
  'menu',
  'group',
  'agent',
  'replay',
  'back',
  'main',
  'transfer',
  'play_hangup',
  'hangup',
  'collect',
];
const days = [1, 2, 3, 4, 5, 6, 7];

export class IvrEditor extends LitElement {
  static override properties = {
    data: { state: true },
    problems: { state: true },
    status: { state: true },
  };

  declare data: EditorData | null;
  declare problems: Problem[];
  declare status: string;
  private audio: HTMLAudioElement | null = null;

  constructor() {
    super();
    this.data = null;
    this.problems = [];
    this.status = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const source = this.querySelector('script[type="application/json"]');
    if (source?.textContent) this.data = JSON.parse(source.textContent) as EditorData;
    source?.remove();
  }

  private t(key: string): string {
    return this.data?.labels[key] ?? key;
  }

  /** Applies a change to the tree and re-renders. */
  private change(fn: (tree: IvrTree, hours: ServiceHours) => void) {
    if (!this.data) return;
    const tree = structuredClone(this.data.tree);
    const hours = structuredClone(this.data.hours);
    fn(tree, hours);
    this.data = { ...this.data, tree, hours };
    this.status = '';
  }

  private menu(tree: IvrTree, id: string): IvrMenu {
    return tree.menus.find((m) => m.id === id)!;
  }

  private newMenuId(tree: IvrTree): string {
    for (let i = tree.menus.length + 1; ; i++) if (!tree.menus.some((m) => m.id === `m${i}`)) return `m${i}`;
  }

  private play(promptId: number | null) {
    if (promptId === null) return;
    this.audio?.pause();
    this.audio = new Audio(`/callcenter/prompts/${promptId}/audio`);
    void this.audio.play();
  }

  private promptSelect(value: number | null, onChange: (id: number | null) => void, label: string) {
    const prompts = this.data?.prompts ?? [];
    return html`<select aria-label=${label} @change=${(e: Event) => {
      const v = (e.target as HTMLSelectElement).value;
      onChange(v === '' ? null : Number(v));
    }}>
      <option value="" ?selected=${value === null}>${this.t('ivr.no_prompt')}</option>
      ${prompts.map((p) => html`<option value=${p.id} ?selected=${p.id === value}>${p.name}</option>`)}
    </select>
    <button type="button" class="preview" ?disabled=${value === null} @click=${() => this.play(value)}>▶ ${this.t('ivr.preview')}</button>`;
  }

  private choiceSelect(items: Choice[], value: number, onChange: (id: number) => void, label: string) {
    return html`<select aria-label=${label} @change=${(e: Event) => onChange(Number((e.target as HTMLSelectElement).value))}>
      <option value="0" ?selected=${!items.some((i) => i.id === value)}>—</option>
      ${items.map((i) => html`<option value=${i.id} ?selected=${i.id === value}>${i.name}</option>`)}
    </select>`;
  }

  /** A blank action of a type (a new sub-menu is created for `menu`). */
  private blank(type: IvrActionType, tree: IvrTree): IvrAction {
    switch (type) {
      case 'menu': {
        const id = this.newMenuId(tree);
        tree.menus.push({ id, name: `${this.t('ivr.menu')} ${id}`, promptId: null, options: [] });
        return { type: 'menu', menu: id };
      }
      case 'group':
        return { type: 'group', groupId: this.data?.groups[0]?.id ?? 0 };
      case 'agent':
        return { type: 'agent', userId: this.data?.agents[0]?.id ?? 0 };
      case 'transfer':
        return { type: 'transfer', number: '' };
      case 'play_hangup':
        return { type: 'play_hangup', promptId: this.data?.prompts[0]?.id ?? 0 };
      case 'collect':
        return {
          type: 'collect',
          variable: 'number',
          promptId: null,
          maxDigits: 8,
          next: { type: 'hangup' },
        };
      default:
        return { type } as IvrAction;
    }
  }

  /** The fields of an action; `set` replaces it (inside a change). */
  private actionEditor(
    action: IvrAction,
    set: (tree: IvrTree, a: IvrAction, hours: ServiceHours) => void,
    nested = false,
  ): TemplateResult {
    const d = this.data!;
    const types = nested ? actionTypes.filter((t) => t !== 'collect') : actionTypes;
    const typeSelect = html`<select class="action-type" aria-label=${this.t('ivr.action')} @change=${(
      e: Event,
    ) =>
      this.change((tree, hours) =>
        set(tree, this.blank((e.target as HTMLSelectElement).value as IvrActionType, tree), hours),
      )}>
      ${types.map((t) => html`<option value=${t} ?selected=${t === action.type}>${this.t(`ivr.action.${t}`)}</option>`)}
    </select>`;
    let detail: TemplateResult | typeof nothing = nothing;
    switch (action.type) {
      case 'menu':
        detail = html`<select aria-label=${this.t('ivr.target_menu')} @change=${(e: Event) =>
          this.change((tree, hours) =>
            set(tree, { type: 'menu', menu: (e.target as HTMLSelectElement).value }, hours),
          )}>
          ${d.tree.menus.map((m) => html`<option value=${m.id} ?selected=${m.id === action.menu}>${m.name}</option>`)}
        </select>`;
        break;
      case 'group':
        detail = this.choiceSelect(
          d.groups,
          action.groupId,
          (groupId) => this.change((tree, hours) => set(tree, { type: 'group', groupId }, hours)),
          this.t('ivr.action.group'),
        );
        break;
      case 'agent':
        detail = this.choiceSelect(
          d.agents,
          action.userId,
          (userId) => this.change((tree, hours) => set(tree, { type: 'agent', userId }, hours)),
          this.t('ivr.action.agent'),
        );
        break;
      case 'transfer':
        detail = html`<input type="tel" aria-label=${this.t('ivr.number')} placeholder=${this.t('ivr.number')} .value=${action.number}
          @change=${(e: Event) => this.change((tree, hours) => set(tree, { type: 'transfer', number: (e.target as HTMLInputElement).value.trim() }, hours))} />`;
        break;
      case 'play_hangup':
        detail = this.promptSelect(
          action.promptId,
          (promptId) =>
            this.change((tree, hours) => set(tree, { type: 'play_hangup', promptId: promptId ?? 0 }, hours)),
          this.t('ivr.prompt'),
        );
        break;
      case 'collect':
        detail = html`<input aria-label=${this.t('ivr.variable')} placeholder=${this.t('ivr.variable')} .value=${action.variable}
            @change=${(e: Event) => this.change((tree, hours) => set(tree, { ...action, variable: (e.target as HTMLInputElement).value.trim() }, hours))} />
          <input type="number" min="1" max="30" aria-label=${this.t('ivr.max_digits')} .value=${String(action.maxDigits)}
            @change=${(e: Event) => this.change((tree, hours) => set(tree, { ...action, maxDigits: Number((e.target as HTMLInputElement).value) }, hours))} />
          ${this.promptSelect(action.promptId, (promptId) => this.change((tree, hours) => set(tree, { ...action, promptId }, hours)), this.t('ivr.prompt'))}
          <span>${this.t('ivr.then')}</span>
          ${this.actionEditor(action.next, (tree, next, hours) => set(tree, { ...action, next }, hours), true)}`;
        break;
      default:
        break;
    }
    return html`${typeSelect} ${detail}`;
  }

  private problemsAt(menu: string, key?: string) {
    return this.problems.filter(
      (p) => p.menu === menu && (key === undefined ? p.key === undefined : p.key === key),
    );
  }

  private renderMenu(m: IvrMenu, seen: Set<string>): TemplateResult {
    seen.add(m.id);
    const tree = this.data!.tree;
    const isRoot = m.id === tree.root;
    const bad = this.problems.some((p) => p.menu === m.id);
    const children = m.options
      .map((o) =>
        o.action.type === 'menu'
          ? o.action.menu
          : o.action.type === 'collect' && o.action.next.type === 'menu'
            ? o.action.next.menu
            : null,
      )
      .filter((id): id is string => id !== null && !seen.has(id))
      .map((id) => tree.menus.find((x) => x.id === id))
      .filter((x): x is IvrMenu => Boolean(x));
    return html`<div class="menu ${bad ? 'bad' : ''}" data-menu=${m.id}>
      <div class="row">
        <h3>${isRoot ? this.t('ivr.welcome') : this.t('ivr.menu')}</h3>
        <input class="menu-name" aria-label=${this.t('ivr.menu_name')} .value=${m.name}
          @change=${(e: Event) =>
            this.change((t) => {
              this.menu(t, m.id).name = (e.target as HTMLInputElement).value;
            })} />
        ${this.promptSelect(
          m.promptId,
          (promptId) =>
            this.change((t) => {
              this.menu(t, m.id).promptId = promptId;
            }),
          this.t('ivr.prompt'),
        )}
        ${isRoot ? nothing : html`<button type="button" class="delete-menu" @click=${() => this.deleteMenu(m.id)}>${this.t('ivr.delete_menu')}</button>`}
      </div>
      ${this.problemsAt(m.id).map((p) => html`<div class="problem">${p.message}</div>`)}
      ${m.options.map(
        (o, i) => html`<div class="row option" data-key=${o.key}>
          <select class="key" aria-label=${this.t('ivr.key')} @change=${(e: Event) =>
            this.change((t) => {
              this.menu(t, m.id).options[i]!.key = (e.target as HTMLSelectElement).value as never;
            })}>
            ${keys.map((k) => html`<option value=${k} ?selected=${k === o.key}>${k}</option>`)}
          </select>
          ${this.actionEditor(o.action, (t, a) => {
            this.menu(t, m.id).options[i]!.action = a;
          })}
          <button type="button" aria-label=${this.t('ivr.up')} ?disabled=${i === 0} @click=${() =>
            this.change((t) => {
              const opts = this.menu(t, m.id).options;
              [opts[i - 1], opts[i]] = [opts[i]!, opts[i - 1]!];
            })}>↑</button>
          <button type="button" class="delete-key" @click=${() =>
            this.change((t) => {
              this.menu(t, m.id).options.splice(i, 1);
            })}>${this.t('ivr.delete_key')}</button>
          ${this.problemsAt(m.id, o.key).map((p) => html`<span class="problem">${p.message}</span>`)}
        </div>`,
      )}
      <div class="row"><button type="button" class="add-key" @click=${() =>
        this.change((t) => {
          const menu = this.menu(t, m.id);
          const free = keys.find((k) => !menu.options.some((o) => o.key === k)) ?? '1';
          menu.options.push({ key: free as never, action: { type: 'hangup' } });
        })}>${this.t('ivr.add_key')}</button></div>
      ${children.length ? html`<div class="children">${children.map((c) => this.renderMenu(c, seen))}</div>` : nothing}
    </div>`;
  }

  private deleteMenu(id: string) {
    this.change((t) => {
      t.menus = t.menus.filter((m) => m.id !== id);
      // Keys that led there now hang up, so nothing points at a menu that is gone.
      for (const m of t.menus)
        for (const o of m.options)
          if (o.action.type === 'menu' && o.action.menu === id) o.action = { type: 'hangup' };
    });
  }

  private renderHours(h: ServiceHours): TemplateResult {
    return html`<fieldset class="hours">
      <legend>${this.t('ivr.hours')}</legend>
      ${this.problems.filter((p) => p.menu === 'hours').map((p) => html`<div class="problem">${p.message}</div>`)}
      <div class="row"><label>${this.t('ivr.time_zone')} <input class="tz" .value=${h.timeZone}
        @change=${(e: Event) =>
          this.change((_t, hh) => {
            hh.timeZone = (e.target as HTMLInputElement).value.trim();
          })} /></label>
        <span class="muted">${this.t('ivr.always_open_hint')}</span></div>
      ${h.weekly.map(
        (r, i) => html`<div class="row weekly">
        <select aria-label=${this.t('ivr.day')} @change=${(e: Event) =>
          this.change((_t, hh) => {
            hh.weekly[i]!.day = Number((e.target as HTMLSelectElement).value);
          })}>
          ${days.map((d) => html`<option value=${d} ?selected=${d === r.day}>${this.t(`ivr.day.${d}`)}</option>`)}
        </select>
        <input type="time" aria-label=${this.t('ivr.from')} .value=${r.from} @change=${(e: Event) =>
          this.change((_t, hh) => {
            hh.weekly[i]!.from = (e.target as HTMLInputElement).value;
          })} />
        <input type="time" aria-label=${this.t('ivr.to')} .value=${r.to} @change=${(e: Event) =>
          this.change((_t, hh) => {
            hh.weekly[i]!.to = (e.target as HTMLInputElement).value;
          })} />
        <button type="button" @click=${() =>
          this.change((_t, hh) => {
            hh.weekly.splice(i, 1);
          })}>${this.t('ivr.remove')}</button>
      </div>`,
      )}
      <div class="row"><button type="button" class="add-range" @click=${() =>
        this.change((_t, hh) => {
          hh.weekly.push({ day: 1, from: '09:00', to: '18:00' });
        })}>${this.t('ivr.add_range')}</button>
        <button type="button" class="add-weekdays" @click=${() =>
          this.change((_t, hh) => {
            for (const day of [1, 2, 3, 4, 5])
              if (!hh.weekly.some((r) => r.day === day)) hh.weekly.push({ day, from: '09:00', to: '18:00' });
          })}>${this.t('ivr.add_weekdays')}</button></div>
      <h3>${this.t('ivr.exceptions')}</h3>
      ${h.exceptions.map(
        (x, i) => html`<div class="row exception">
        <input type="date" aria-label=${this.t('ivr.date')} .value=${x.date} @change=${(e: Event) =>
          this.change((_t, hh) => {
            hh.exceptions[i]!.date = (e.target as HTMLInputElement).value;
          })} />
        <input aria-label=${this.t('ivr.exception_name')} placeholder=${this.t('ivr.exception_name')} .value=${x.name} @change=${(
          e: Event,
        ) =>
          this.change((_t, hh) => {
            hh.exceptions[i]!.name = (e.target as HTMLInputElement).value;
          })} />
        <select aria-label=${this.t('ivr.exception_kind')} @change=${(e: Event) =>
          this.change((_t, hh) => {
            hh.exceptions[i]!.ranges =
              (e.target as HTMLSelectElement).value === 'open' ? [{ from: '09:00', to: '18:00' }] : [];
          })}>
          <option value="closed" ?selected=${x.ranges.length === 0}>${this.t('ivr.holiday')}</option>
          <option value="open" ?selected=${x.ranges.length > 0}>${this.t('ivr.working_day')}</option>
        </select>
        ${x.ranges.map(
          (r, j) => html`<input type="time" .value=${r.from} @change=${(e: Event) =>
            this.change((_t, hh) => {
              hh.exceptions[i]!.ranges[j]!.from = (e.target as HTMLInputElement).value;
            })} />
          <input type="time" .value=${r.to} @change=${(e: Event) =>
            this.change((_t, hh) => {
              hh.exceptions[i]!.ranges[j]!.to = (e.target as HTMLInputElement).value;
            })} />`,
        )}
        <button type="button" @click=${() =>
          this.change((_t, hh) => {
            hh.exceptions.splice(i, 1);
          })}>${this.t('ivr.remove')}</button>
      </div>`,
      )}
      <div class="row"><button type="button" class="add-exception" @click=${() =>
        this.change((_t, hh) => {
          hh.exceptions.push({ date: new Date().toISOString().slice(0, 10), name: '', ranges: [] });
        })}>${this.t('ivr.add_exception')}</button></div>
      <div class="row"><span>${this.t('ivr.off_hours_prompt')}</span>
        ${this.promptSelect(
          h.offHoursPromptId,
          (id) =>
            this.change((_t, hh) => {
              hh.offHoursPromptId = id;
            }),
          this.t('ivr.off_hours_prompt'),
        )}</div>
      <div class="row"><span>${this.t('ivr.off_hours_action')}</span>
        ${this.actionEditor(
          h.offHoursAction,
          (_t, a, hh) => {
            hh.offHoursAction = a;
          },
          true,
        )}</div>
    </fieldset>`;
  }

  private renderRules(tree: IvrTree): TemplateResult {
    return html`<fieldset class="rules">
      <legend>${this.t('ivr.rules')}</legend>
      <div class="muted">${this.t('ivr.rules_hint')}</div>
      ${tree.rules.map(
        (r, i) => html`<div class="row rule" data-rule=${i + 1}>
        <input aria-label=${this.t('ivr.rule_prefix')} placeholder=${this.t('ivr.rule_prefix')} .value=${r.prefix ?? ''}
          @change=${(e: Event) =>
            this.change((t) => {
              const v = (e.target as HTMLInputElement).value.trim();
              if (v) t.rules[i]!.prefix = v;
              else delete t.rules[i]!.prefix;
            })} />
        <input aria-label=${this.t('ivr.rule_region')} placeholder=${this.t('ivr.rule_region')} .value=${r.region ?? ''}
          @change=${(e: Event) =>
            this.change((t) => {
              const v = (e.target as HTMLInputElement).value.trim();
              if (v) t.rules[i]!.region = v;
              else delete t.rules[i]!.region;
            })} />
        <label><input type="checkbox" .checked=${r.vip === true} @change=${(e: Event) =>
          this.change((t) => {
            if ((e.target as HTMLInputElement).checked) t.rules[i]!.vip = true;
            else delete t.rules[i]!.vip;
          })} /> ${this.t('ivr.rule_vip')}</label>
        ${this.actionEditor(r.action, (t, a) => {
          t.rules[i]!.action = a;
        })}
        <button type="button" @click=${() =>
          this.change((t) => {
            t.rules.splice(i, 1);
          })}>${this.t('ivr.remove')}</button>
        ${this.problems.filter((p) => p.menu === `rule ${i + 1}`).map((p) => html`<span class="problem">${p.message}</span>`)}
      </div>`,
      )}
      <div class="row"><button type="button" class="add-rule" @click=${() =>
        this.change((t) => {
          t.rules.push({ prefix: '', action: { type: 'menu', menu: t.root } });
        })}>${this.t('ivr.add_rule')}</button></div>
    </fieldset>`;
  }

  private renderSettings(tree: IvrTree): TemplateResult {
    const num = (value: number, label: string, set: (t: IvrTree, n: number) => void) => html`<label>${label}
      <input type="number" min="0" .value=${String(value)} @change=${(e: Event) => this.change((t) => set(t, Number((e.target as HTMLInputElement).value)))} /></label>`;
    return html`<fieldset class="settings">
      <legend>${this.t('ivr.settings')}</legend>
      ${this.problems.filter((p) => p.menu === '').map((p) => html`<div class="problem">${p.message}</div>`)}
      <div class="row">
        ${num(tree.silenceSeconds, this.t('ivr.silence_seconds'), (t, n) => {
          t.silenceSeconds = n;
        })}
        ${num(tree.silenceRepeats, this.t('ivr.silence_repeats'), (t, n) => {
          t.silenceRepeats = n;
        })}
        ${num(tree.digitTimeoutSeconds, this.t('ivr.digit_timeout'), (t, n) => {
          t.digitTimeoutSeconds = n;
        })}
      </div>
      <div class="row"><span>${this.t('ivr.invalid_prompt')}</span>
        ${this.promptSelect(
          tree.invalidPromptId,
          (id) =>
            this.change((t) => {
              t.invalidPromptId = id;
            }),
          this.t('ivr.invalid_prompt'),
        )}</div>
      <div class="row"><span>${this.t('ivr.blacklist_prompt')}</span>
        ${this.promptSelect(
          tree.blacklistPromptId,
          (id) =>
            this.change((t) => {
              t.blacklistPromptId = id;
            }),
          this.t('ivr.blacklist_prompt'),
        )}</div>
    </fieldset>`;
  }

  private async save() {
    const d = this.data;
    if (!d) return;
    this.status = this.t('ivr.saving');
    const token = document.getElementById('csrf-token')?.dataset.token ?? '';
    const res = await fetch(d.saveUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
      body: JSON.stringify({ name: d.name, language: d.language, tree: d.tree, hours: d.hours }),
    });
    const body = (await res.json().catch(() => ({}))) as {
      ok?: boolean;
      problems?: Problem[];
      message?: string;
    };
    this.problems = body.problems ?? [];
    this.status = body.ok ? this.t('ivr.saved') : (body.message ?? this.t('ivr.not_saved'));
  }

  override render() {
    const d = this.data;
    if (!d) return nothing;
    const seen = new Set<string>();
    const root = d.tree.menus.find((m) => m.id === d.tree.root);
    const treeView = root ? this.renderMenu(root, seen) : nothing;
    const loose = d.tree.menus.filter((m) => !seen.has(m.id));
    return html`
      <div class="row">
        <label>${this.t('ivr.name')} <input class="ivr-name" .value=${d.name} @change=${(e: Event) => {
          this.data = { ...d, name: (e.target as HTMLInputElement).value };
        }} /></label>
        <label>${this.t('ivr.language')} <select @change=${(e: Event) => {
          this.data = { ...d, language: (e.target as HTMLSelectElement).value };
        }}>
          ${['en', 'zh'].map((l) => html`<option value=${l} ?selected=${l === d.language}>${this.t(`ivr.lang.${l}`)}</option>`)}
        </select></label>
      </div>
      <section class="tree">${treeView}</section>
      ${loose.length ? html`<h3>${this.t('ivr.loose')}</h3>${loose.map((m) => this.renderMenu(m, seen))}` : nothing}
      ${this.renderSettings(d.tree)}
      ${this.renderRules(d.tree)}
      ${this.renderHours(d.hours)}
      <div class="row">
        <button type="button" class="save primary" @click=${() => void this.save()}>${this.t('ivr.save')}</button>
        <span class="status ${this.problems.length ? 'problem' : 'ok'}" role="status">${this.status}</span>
      </div>
    `;
  }

  /** Light DOM keeps the page's form styles (buttons, inputs) consistent. */
  protected override createRenderRoot() {
    return this;
  }
}

if (!customElements.get('ivr-editor')) customElements.define('ivr-editor', IvrEditor);
