/**
 * Runs one caller through an IVR over ARI: blacklist, service hours, caller rules, then menus.
 * A menu plays its prompt and takes a key; a key pressed during the prompt interrupts it
 * (barge-in). Silence re-plays the menu and hangs up after the configured repeats; an unknown
 * key plays the invalid-key prompt. Every step is written to the call's event log. The run ends
 * with what the engine should do next (ring a group or agent, transfer, or hang up).
 */
import type { AriClient } from '../ari/client.ts';
import type { CallEventBody, IvrOutcome } from '../call-log/events.ts';
import { CallerGone, type Prompter } from '../media/prompter.ts';
import type { SystemPrompt } from '../media/system-prompts.ts';
import { type ServiceHours, serviceState } from './hours.ts';
import type { CallerRule, IvrAction, IvrMenu, IvrTree } from './tree.ts';

export interface IvrCaller {
  number: string;
  region: string;
  vip: boolean;
  blacklisted: boolean;
}

export interface IvrRunOptions {
  ari: AriClient;
  channelId: string;
  /** Plays to the caller and takes their keys (fed the channel's events by the engine). */
  prompter: Prompter;
  ivr: { id: number; name: string; language: string; tree: IvrTree; hours: ServiceHours };
  hotlineId: number | null;
  caller: IvrCaller;
  /** The `sound:` URI of a prompt's current version, or null when it has gone. */
  promptUri: (promptId: number) => Promise<string | null>;
  /** The `sound:` URI of a system prompt in the IVR's language. */
  systemUri: (name: SystemPrompt) => string;
  log: (event: CallEventBody) => Promise<void>;
  now: () => Date;
}

/** What the engine does after the IVR. */
export type IvrResult =
  | { kind: 'route'; action: Extract<IvrAction, { type: 'group' | 'agent' | 'transfer' }> }
  | { kind: 'hangup'; outcome: IvrOutcome }
  | { kind: 'gone' };

export function ruleMatches(rule: CallerRule, caller: IvrCaller): boolean {
  if (rule.prefix !== undefined && !caller.number.startsWith(rule.prefix)) return false;
  if (rule.region !== undefined && !caller.region.includes(rule.region)) return false;
  if (rule.vip !== undefined && rule.vip !== caller.vip) return false;
  return true;
}

export class IvrRun {
  constructor(private readonly o: IvrRunOptions) {}

  async run(): Promise<IvrResult> {
    try {
      return await this.steps();
    } catch (err) {
      if (err instanceof CallerGone || this.o.prompter.gone) {
        await this.o.log({ type: 'ivr.left', data: { outcome: 'caller_hung_up' } }).catch(() => {});
        return { kind: 'gone' };
      }
      throw err;
    }
  }

  private async steps(): Promise<IvrResult> {
    const { ivr, caller } = this.o;
    const { tree } = ivr;
    await this.o.ari.call('channels.answer', { channelId: this.o.channelId });
    await this.o.ari
      .call('channels.setChannelVar', {
        channelId: this.o.channelId,
        variable: 'CHANNEL(language)',
        value: ivr.language,
      })
      .catch(() => {});
    await this.o.log({
      type: 'ivr.entered',
      data: {
        ivrId: ivr.id,
        name: ivr.name,
        hotlineId: this.o.hotlineId,
        from: caller.number,
        region: caller.region,
      },
    });
    if (caller.blacklisted) {
      await this.playPrompt(tree.blacklistPromptId, 'blacklisted', false);
      return this.leave('blacklisted');
    }
    const state = serviceState(ivr.hours, this.o.now());
    let start: IvrAction = { type: 'menu', menu: tree.root };
    if (!state.open) {
      await this.o.log({
        type: 'ivr.off_hours',
        data: { reason: state.reason, ...(state.exception ? { exception: state.exception } : {}) },
      });
      await this.playPrompt(ivr.hours.offHoursPromptId, 'off_hours', false);
      start = ivr.hours.offHoursAction;
      if (start.type === 'hangup') return this.leave('off_hours');
    } else {
      const index = tree.rules.findIndex((r) => ruleMatches(r, caller));
      if (index >= 0) {
        await this.o.log({ type: 'ivr.rule', data: { index } });
        start = tree.rules[index]!.action;
      }
    }
    return this.menus(start);
  }

  private async leave(outcome: IvrOutcome, action?: IvrAction): Promise<IvrResult> {
    await this.o.log({ type: 'ivr.left', data: { outcome, ...(action ? { action } : {}) } });
    if (action && (action.type === 'group' || action.type === 'agent' || action.type === 'transfer'))
      return { kind: 'route', action };
    return { kind: 'hangup', outcome };
  }

  /** Walks the menus from `first` until an action ends the IVR. */
  private async menus(first: IvrAction): Promise<IvrResult> {
    const { tree } = this.o.ivr;
    const byId = new Map(tree.menus.map((m) => [m.id, m]));
    const stack: IvrMenu[] = [];
    let current: IvrMenu | null = null;
    let pending: IvrAction | null = first;
    let silence = 0;
    for (;;) {
      if (pending) {
        const action: IvrAction = pending;
        pending = null;
        switch (action.type) {
          case 'menu': {
            const next = byId.get(action.menu);
            if (!next) return this.leave('hangup');
            if (current && current !== next) stack.push(current);
            current = next;
            silence = 0;
            break;
          }
          case 'replay':
            break;
          case 'back':
            current = stack.pop() ?? byId.get(tree.root) ?? current;
            break;
          case 'main':
            stack.length = 0;
            current = byId.get(tree.root) ?? current;
            break;
          case 'collect': {
            const value = await this.collect(action.promptId, action.maxDigits);
            await this.o.log({ type: 'ivr.collected', data: { variable: action.variable, value } });
            pending = action.next;
            continue;
          }
          case 'play_hangup':
            await this.playPrompt(action.promptId, 'goodbye', false);
            return this.leave('play_hangup', action);
          case 'hangup':
            return this.leave('hangup', action);
          case 'group':
          case 'agent':
          case 'transfer':
            return this.leave(action.type, action);
        }
      }
      if (!current) return this.leave('hangup');
      await this.o.log({ type: 'ivr.menu', data: { menu: current.id, name: current.name } });
      this.o.prompter.clearDigits();
      await this.playPrompt(current.promptId, null, true);
      const key = await this.o.prompter.nextDigit(tree.silenceSeconds * 1000);
      if (key === null) {
        silence++;
        await this.o.log({ type: 'ivr.silence', data: { menu: current.id, repeat: silence } });
        if (silence > tree.silenceRepeats) return this.leave('timeout');
        continue;
      }
      silence = 0;
      const option = current.options.find((o) => o.key === key);
      if (!option) {
        await this.o.log({ type: 'ivr.invalid', data: { menu: current.id, key } });
        this.o.prompter.clearDigits();
        await this.playPrompt(tree.invalidPromptId, 'invalid', false);
        continue;
      }
      await this.o.log({ type: 'ivr.key', data: { menu: current.id, key } });
      pending = option.action;
    }
  }

  /** Collects up to `maxDigits` digits (ended early by #, or by the inter-digit timeout). */
  private async collect(promptId: number | null, maxDigits: number): Promise<string> {
    this.o.prompter.clearDigits();
    await this.playPrompt(promptId, null, true);
    let value = '';
    const gap = this.o.ivr.tree.digitTimeoutSeconds * 1000;
    while (value.length < maxDigits) {
      const d = await this.o.prompter.nextDigit(value === '' ? gap * 2 : gap);
      if (d === null || d === '#') break;
      value += d;
    }
    return value;
  }

  /**
   * Plays a prompt (or, without one, the system prompt `fallback` when given). With `bargeIn`
   * a key stops it at once; without, keys pressed meanwhile are dropped.
   */
  private async playPrompt(
    promptId: number | null,
    fallback: SystemPrompt | null,
    bargeIn: boolean,
  ): Promise<void> {
    const uri = promptId !== null ? await this.o.promptUri(promptId) : null;
    const media = uri ?? (fallback ? this.o.systemUri(fallback) : null);
    if (media) await this.o.prompter.play([media], bargeIn);
  }
}
