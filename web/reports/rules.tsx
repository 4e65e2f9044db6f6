/**
 * The statistics rules (统计规则, 3.4.14) and the wallboard's thresholds: readers with
 * reports:view see them, reports:edit changes them. Saving changed rules has the statistics
 * maintainer recount the history with them (cti/stats/maintainer.ts).
 */
import { Hono } from 'hono';
import { requirePermission } from '../../core/access/actor.ts';
import { parseStatsRules, saveStatsRules, statsRules } from '../../cti/stats/rules.ts';
import {
  parseThresholds,
  saveThresholds,
  wallboardThresholds,
} from '../../cti/stats/wallboard-thresholds.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { attempt } from '../forms.ts';
import { readForm, see } from '../http.ts';
import type { MessageKey } from '../i18n/index.ts';
import { emptyForm, Form, type FormState, TextField } from '../views/form.tsx';
import { renderPage } from '../views/page.tsx';

export const rulesRoutes = new Hono<AppEnv>();

const ruleFields = [
  'serviceLevelSeconds',
  'shortAbandonSeconds',
  'quickHangupSeconds',
  'fcrHours',
  'effectiveCallSeconds',
] as const;
const thresholdFields = [
  'waitingAmber',
  'waitingRed',
  'longestWaitAmber',
  'longestWaitRed',
  'serviceLevelAmber',
  'serviceLevelRed',
  'abandonAmber',
  'abandonRed',
] as const;

async function page(c: C, forms: { rules?: FormState; thresholds?: FormState }, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'reports:view');
  const t = c.get('t');
  const rules = forms.rules ?? emptyForm({ ...(await statsRules(ctx.db)) });
  const thresholds = forms.thresholds ?? emptyForm({ ...(await wallboardThresholds(ctx.db)) });
  const editable = ctx.actor.grants.has('reports:edit');
  return renderPage(c, { title: t('rules.title'), status }, (pv) => (
    <>
      <section class="panel">
        <h1>{t('rules.title')}</h1>
        <p class="hint">{t('rules.intro')}</p>
        <fieldset disabled={!editable} class="plain">
          <Form pv={pv} state={rules} action="/reports/rules" submit="common.save" id="rules-form">
            {ruleFields.map((name) => (
              <TextField
                pv={pv}
                state={rules}
                name={name}
                type="number"
                label={`rules.${name}` as MessageKey}
                hint={`rules.${name}.hint` as MessageKey}
                required
              />
            ))}
          </Form>
        </fieldset>
      </section>
      <section class="panel">
        <h2>{t('wallboard.thresholds')}</h2>
        <p class="hint">{t('wallboard.thresholds_intro')}</p>
        <fieldset disabled={!editable} class="plain">
          <Form
            pv={pv}
            state={thresholds}
            action="/reports/rules/wallboard"
            submit="common.save"
            id="thresholds-form"
          >
            <div class="field-grid">
              {thresholdFields.map((name) => (
                <TextField
                  pv={pv}
                  state={thresholds}
                  name={name}
                  type="number"
                  label={`wallboard.${name}` as MessageKey}
                  required
                />
              ))}
            </div>
          </Form>
        </fieldset>
      </section>
    </>
  ));
}

rulesRoutes.get('/', (c) => page(c, {}));

rulesRoutes.post('/', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, () => saveStatsRules(ctxOf(c), parseStatsRules(raw)));
  if (!result.ok) return page(c, { rules: result.state }, 422);
  return see(c, '/reports/rules', {
    key: result.value ? 'rules.saved_recount' : 'rules.unchanged',
    kind: 'ok',
  });
});

rulesRoutes.post('/wallboard', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, () => saveThresholds(ctxOf(c), parseThresholds(raw)));
  if (!result.ok) return page(c, { thresholds: result.state }, 422);
  return see(c, '/reports/rules', { key: 'common.saved', kind: 'ok' });
});
