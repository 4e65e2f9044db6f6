/**
 * Desk and ACD settings for supervisors and admins (基础设置): wrap-up time with auto-ready,
 * hang-up confirmation, repeat-caller window, the satisfaction survey (levels and prompts),
 * break reasons (小休状态细分), business types (业务类型) and region routing (电话分配设置).
 */
import { Hono } from 'hono';
import { requirePermission } from '../../core/access/actor.ts';
import {
  acdSettings,
  addBusinessType,
  addRegionRule,
  deleteRegionRule,
  listBusinessTypes,
  listRegionRules,
  parseDeskSettings,
  parseRegionRule,
  saveAcdSettings,
  setBusinessTypeEnabled,
} from '../../cti/acd/acd-settings.ts';
import {
  addBreakReason,
  listBreakReasons,
  setBreakReasonEnabled,
  setWrapUpSeconds,
  wrapUpSeconds,
} from '../../cti/agents/agent-states.ts';
import { listGroups } from '../../cti/acd/agent-groups.ts';
import { promptChoices } from '../../cti/media/prompts.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { act, attempt } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import {
  CheckboxField,
  emptyForm,
  Form,
  type FormState,
  PostButton,
  SelectField,
  TextField,
} from '../views/form.tsx';
import { renderPage } from '../views/page.tsx';
import { businessTypeLabel, reasonLabel } from './fragments.tsx';

export const deskSettingsRoutes = new Hono<AppEnv>();
const base = '/callcenter/desk';

async function settingsPage(c: C, state: FormState, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'callcenter:edit');
  const t = c.get('t');
  const reasons = await listBreakReasons(ctx.db, true);
  const types = await listBusinessTypes(ctx.db, true);
  const rules = await listRegionRules(ctx.db);
  const groups = await listGroups(ctx.db);
  const prompts = (await promptChoices(ctx.db)).map((p) => ({ value: p.id, label: p.name }));
  return renderPage(c, { title: t('agent.settings'), status }, (pv) => (
    <section class="panel">
      <h1>{t('agent.settings')}</h1>
      <Form pv={pv} state={state} action={base} submit="common.save" id="desk-settings">
        <div class="grid-2">
          <TextField
            pv={pv}
            state={state}
            name="wrapUpSeconds"
            label="agent.wrap_up_seconds"
            hint="agent.wrap_up_hint"
          />
          <TextField
            pv={pv}
            state={state}
            name="repeatHours"
            label="acd.repeat_hours"
            hint="acd.repeat_hours_hint"
          />
        </div>
        <CheckboxField
          pv={pv}
          state={state}
          name="confirmClose"
          label="acd.confirm_close"
          hint="acd.confirm_close_hint"
        />
        <h2>{t('acd.survey')}</h2>
        <p class="hint">{t('acd.survey_hint')}</p>
        <div class="grid-2">
          <SelectField
            pv={pv}
            state={state}
            name="surveyLevels"
            label="acd.survey_levels"
            options={[2, 3, 4, 5].map((n) => ({ value: n, label: String(n) }))}
          />
          <SelectField
            pv={pv}
            state={state}
            name="surveyPromptId"
            label="acd.survey_prompt"
            emptyLabel={t('acd.system_prompt')}
            options={prompts}
          />
          <SelectField
            pv={pv}
            state={state}
            name="surveyThanksPromptId"
            label="acd.survey_thanks_prompt"
            emptyLabel={t('acd.system_prompt')}
            options={prompts}
          />
        </div>
      </Form>

      <h2>{t('agent.break_reasons')}</h2>
      <table class="plain" id="break-reasons">
        <tbody>
          {reasons.map((r) => (
            <tr data-reason={r.id}>
              <td>{reasonLabel(pv, r)}</td>
              <td>{r.enabled ? t('emp.enabled') : t('emp.disabled')}</td>
              <td>
                <PostButton
                  pv={pv}
                  action={`${base}/reasons/${r.id}/${r.enabled ? 'disable' : 'enable'}`}
                  label={r.enabled ? 'emp.disable' : 'emp.enable'}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action={`${base}/reasons`} class="inline-form" id="new-reason">
        <input type="hidden" name="_csrf" value={pv.csrf} />
        <input
          type="text"
          name="name"
          aria-label={t('agent.reason_name')}
          placeholder={t('agent.reason_name')}
        />
        <button type="submit">{t('agent.add_reason')}</button>
      </form>

      <h2>{t('acd.business_types')}</h2>
      <p class="hint">{t('acd.business_types_hint')}</p>
      <table class="plain" id="business-types">
        <tbody>
          {types.map((b) => (
            <tr data-type={b.code}>
              <td>
                <code>{b.code}</code>
              </td>
              <td>{businessTypeLabel(pv, b)}</td>
              <td>{b.enabled ? t('emp.enabled') : t('emp.disabled')}</td>
              <td>
                <PostButton
                  pv={pv}
                  action={`${base}/business-types/${b.id}/${b.enabled ? 'disable' : 'enable'}`}
                  label={b.enabled ? 'emp.disable' : 'emp.enable'}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action={`${base}/business-types`} class="inline-form" id="new-business-type">
        <input type="hidden" name="_csrf" value={pv.csrf} />
        <input
          type="text"
          name="code"
          aria-label={t('acd.business_code')}
          placeholder={t('acd.business_code')}
        />
        <input
          type="text"
          name="name"
          aria-label={t('acd.business_name')}
          placeholder={t('acd.business_name')}
        />
        <button type="submit">{t('acd.add_business_type')}</button>
      </form>

      <h2>{t('acd.region_rules')}</h2>
      <p class="hint">{t('acd.region_rules_hint')}</p>
      <table class="plain" id="region-rules">
        <tbody>
          {rules.map((r) => (
            <tr>
              <td>{r.province}</td>
              <td>{r.city || t('acd.whole_province')}</td>
              <td>{r.groupName}</td>
              <td>
                <PostButton pv={pv} action={`${base}/regions/${r.id}/delete`} label="common.delete" danger />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action={`${base}/regions`} class="inline-form" id="new-region-rule">
        <input type="hidden" name="_csrf" value={pv.csrf} />
        <input type="text" name="province" aria-label={t('acd.province')} placeholder={t('acd.province')} />
        <input type="text" name="city" aria-label={t('acd.city')} placeholder={t('acd.city')} />
        <select name="groupId" aria-label={t('acd.group')}>
          {groups.map((g) => (
            <option value={String(g.id)}>{g.name}</option>
          ))}
        </select>
        <button type="submit">{t('acd.add_region_rule')}</button>
      </form>
    </section>
  ));
}

deskSettingsRoutes.get('/', async (c) => {
  const db = ctxOf(c).db;
  return settingsPage(c, emptyForm({ wrapUpSeconds: await wrapUpSeconds(db), ...(await acdSettings(db)) }));
});

deskSettingsRoutes.post('/', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, async () => {
    const ctx = ctxOf(c);
    await setWrapUpSeconds(ctx, String(raw.wrapUpSeconds ?? ''));
    await saveAcdSettings(ctx, parseDeskSettings(raw));
  });
  if (!result.ok) return settingsPage(c, result.state, 422);
  return see(c, base, { key: 'common.saved', kind: 'ok' });
});

deskSettingsRoutes.post('/reasons', async (c) => {
  const raw = await readForm(c);
  return act(c, base, () => addBreakReason(ctxOf(c), String(raw.name ?? '')), {
    key: 'common.saved',
    kind: 'ok',
  });
});

deskSettingsRoutes.post('/business-types', async (c) => {
  const raw = await readForm(c);
  return act(c, base, () => addBusinessType(ctxOf(c), String(raw.code ?? ''), String(raw.name ?? '')), {
    key: 'common.saved',
    kind: 'ok',
  });
});

deskSettingsRoutes.post('/regions', async (c) => {
  const raw = await readForm(c);
  return act(c, base, () => addRegionRule(ctxOf(c), parseRegionRule(raw)), {
    key: 'common.saved',
    kind: 'ok',
  });
});

deskSettingsRoutes.post('/regions/:id/delete', (c) =>
  act(c, base, () => deleteRegionRule(ctxOf(c), idParam(c)), { key: 'common.deleted', kind: 'ok' }),
);

for (const [path, enabled] of [
  ['enable', true],
  ['disable', false],
] as const) {
  deskSettingsRoutes.post(`/reasons/:id/${path}`, (c) =>
    act(c, base, () => setBreakReasonEnabled(ctxOf(c), idParam(c), enabled), {
      key: 'common.saved',
      kind: 'ok',
    }),
  );
  deskSettingsRoutes.post(`/business-types/:id/${path}`, (c) =>
    act(c, base, () => setBusinessTypeEnabled(ctxOf(c), idParam(c), enabled), {
      key: 'common.saved',
      kind: 'ok',
    }),
  );
}
