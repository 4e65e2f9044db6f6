/**
 * Agent groups (客服组) and their queues: members with skill levels, the leader, and the queue
 * settings — strategies in priority order (ACD 策略), VIP first, ring time and no-answer jump
 * (未接跳转), what waiting callers hear and are told, the maximum wait with its keys (排队设置),
 * joining and leaving when nobody is logged in, overflow (溢出规则), the agent-number
 * announcement (客服工号播报), the survey, and what members see of the queue (排队情况状态条).
 */
import { Hono } from 'hono';
import { requirePermission } from '../../core/access/actor.ts';
import {
  type AgentGroup,
  blankGroupForm,
  createGroup,
  deleteGroup,
  getGroup,
  groupFormValues,
  listGroups,
  parseGroupInput,
  updateGroup,
} from '../../cti/acd/agent-groups.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { promptChoices } from '../../cti/media/prompts.ts';
import { arrayListing } from '../../core/list-query.ts';
import { strategyKeys } from '../../cti/acd/queue-settings.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, deleteRowAction, loadTable, type TableSpec } from '../table.tsx';
import {
  CheckboxField,
  editLink,
  type FormState,
  MembersWithLevels,
  RecordForm,
  SelectField,
  TextField,
} from '../views/form.tsx';
import { ListPanel } from '../views/list-panel.tsx';
import { renderPage } from '../views/page.tsx';

export const groupRoutes = new Hono<AppEnv>();

const table: TableSpec<AgentGroup> = {
  id: 'groups',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    {
      key: 'name',
      label: 'group.name',
      cell: editLink('callcenter:edit', '/callcenter/groups', (r) => r.name),
      csv: (r) => r.name,
    },
    { key: 'members', label: 'group.members', cell: (r) => r.memberNames },
    {
      key: 'strategies',
      label: 'group.strategies',
      cell: (r, pv) => r.queue.strategies.map((k) => pv.t(`strategy.${k}` as MessageKey)).join(' → '),
    },
    { key: 'ring', label: 'group.ring_seconds', cell: (r) => r.ringSeconds },
  ],
  rowActions: deleteRowAction(
    'callcenter:edit',
    (r) => `/callcenter/groups/${r.id}/delete`,
    (r) => r.name,
  ),
};

groupRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'callcenter:view');
  const t = c.get('t');
  const data = await loadTable(c, table, '/callcenter/groups', async (q) => {
    const needle = (q.filters.q ?? '').toLowerCase();
    return arrayListing((await listGroups(ctx.db)).filter((g) => g.name.toLowerCase().includes(needle)));
  });
  return renderPage(c, { title: t('group.title') }, (pv) => (
    <ListPanel
      pv={pv}
      title="group.title"
      intro="group.intro"
      buttons={[
        { href: '/callcenter/groups/new', label: 'group.new', permission: 'callcenter:edit', primary: true },
      ]}
    >
      <DataTable pv={pv} data={data} />
    </ListPanel>
  ));
});

async function formPage(c: C, state: FormState, editing: AgentGroup | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const people = (await employeeChoices(ctx, 'callcenter:view')).map((p) => ({ value: p.id, label: p.name }));
  const groups = (await listGroups(ctx.db))
    .filter((g) => g.id !== editing?.id)
    .map((g) => ({ value: g.id, label: g.name }));
  const prompts = (await promptChoices(ctx.db)).map((p) => ({ value: p.id, label: p.name }));
  const strategies = strategyKeys.map((k) => ({ value: k, label: t(`strategy.${k}` as MessageKey) }));
  const title = editing ? t('group.edit') : t('group.new');
  return renderPage(c, { title, status }, (pv) => (
    <RecordForm
      pv={pv}
      state={state}
      base="/callcenter/groups"
      editingId={editing?.id ?? null}
      title={title}
      id="group-form"
    >
      <div class="grid-2">
        <TextField pv={pv} state={state} name="name" label="group.name" required />
        <SelectField
          pv={pv}
          state={state}
          name="leaderId"
          label="group.leader"
          emptyLabel={t('common.none')}
          options={people}
        />
      </div>
      <MembersWithLevels
        pv={pv}
        state={state}
        name="memberIds"
        label="group.members"
        hint="group.levels_hint"
        options={people}
        levelPrefix="penalty_"
        levelLabel="group.level"
      />

      <h2>{t('group.strategy_title')}</h2>
      <p class="hint">{t('group.strategy_hint')}</p>
      <div class="grid-4" data-field="strategies">
        {[1, 2, 3, 4].map((i) => (
          <SelectField
            pv={pv}
            state={state}
            name={`strategy${i}`}
            label={`group.strategy_${i}` as MessageKey}
            emptyLabel={i === 1 ? undefined : t('common.none')}
            options={strategies}
          />
        ))}
      </div>
      {state.errors.strategies ? (
        <p class="field-error" role="alert">
          {t(`err.${state.errors.strategies}` as MessageKey)}
        </p>
      ) : null}
      <div class="grid-2">
        <TextField pv={pv} state={state} name="lastAgentHours" label="group.last_agent_hours" />
        <CheckboxField
          pv={pv}
          state={state}
          name="vipFirst"
          label="group.vip_first"
          hint="group.vip_first_hint"
        />
      </div>

      <h2>{t('group.ringing_title')}</h2>
      <div class="grid-3">
        <TextField
          pv={pv}
          state={state}
          name="ringSeconds"
          label="group.ring_seconds"
          hint="group.ring_seconds_hint"
        />
        <TextField
          pv={pv}
          state={state}
          name="jumpAfter"
          label="group.jump_after"
          hint="group.jump_after_hint"
        />
        <SelectField
          pv={pv}
          state={state}
          name="jumpGroupId"
          label="group.jump_group"
          emptyLabel={t('common.none')}
          options={groups}
        />
      </div>
      <CheckboxField pv={pv} state={state} name="announceAgentNumber" label="group.announce_agent_number" />

      <h2>{t('group.waiting_title')}</h2>
      <div class="grid-3">
        <SelectField
          pv={pv}
          state={state}
          name="holdPromptId"
          label="group.hold_prompt"
          emptyLabel={t('group.default_music')}
          options={prompts}
        />
        <TextField
          pv={pv}
          state={state}
          name="announceEvery"
          label="group.announce_every"
          hint="group.announce_every_hint"
        />
        <SelectField
          pv={pv}
          state={state}
          name="language"
          label="group.language"
          options={[
            { value: 'en', label: 'English' },
            { value: 'zh', label: '中文' },
          ]}
        />
      </div>
      <div class="grid-2">
        <CheckboxField pv={pv} state={state} name="announcePosition" label="group.announce_position" />
        <CheckboxField pv={pv} state={state} name="announceWait" label="group.announce_wait" />
      </div>

      <h2>{t('group.max_wait_title')}</h2>
      <p class="hint">{t('group.max_wait_hint')}</p>
      <div class="grid-3">
        <TextField pv={pv} state={state} name="maxWaitSeconds" label="group.max_wait_seconds" />
        <SelectField
          pv={pv}
          state={state}
          name="maxWaitPromptId"
          label="group.max_wait_prompt"
          emptyLabel={t('acd.system_prompt')}
          options={prompts}
        />
        <TextField pv={pv} state={state} name="maxWaitKeySeconds" label="group.max_wait_key_seconds" />
      </div>
      <div class="grid-2">
        <CheckboxField pv={pv} state={state} name="maxWaitCallback" label="group.max_wait_callback" />
        <SelectField
          pv={pv}
          state={state}
          name="maxWaitNoKey"
          label="group.max_wait_no_key"
          options={[
            { value: 'keep', label: t('group.no_key_keep') },
            { value: 'hangup', label: t('group.no_key_hangup') },
          ]}
        />
      </div>

      <h2>{t('group.overflow_title')}</h2>
      <div class="grid-2">
        <CheckboxField pv={pv} state={state} name="emptyJoin" label="group.empty_join" />
        <CheckboxField pv={pv} state={state} name="emptyLeave" label="group.empty_leave" />
      </div>
      <div class="grid-2">
        <TextField
          pv={pv}
          state={state}
          name="overflowWaiting"
          label="group.overflow_waiting"
          hint="group.zero_off"
        />
        <TextField
          pv={pv}
          state={state}
          name="overflowWaitSeconds"
          label="group.overflow_wait_seconds"
          hint="group.zero_off"
        />
      </div>
      <div class="grid-4">
        <SelectField
          pv={pv}
          state={state}
          name="overflowKind"
          label="group.overflow_target"
          hint="group.overflow_target_hint"
          emptyLabel={t('common.none')}
          options={[
            { value: 'group', label: t('group.target_group') },
            { value: 'external', label: t('group.target_external') },
            { value: 'prompt', label: t('group.target_prompt') },
          ]}
        />
        <SelectField
          pv={pv}
          state={state}
          name="overflowGroupId"
          label="group.target_group"
          emptyLabel={t('common.none')}
          options={groups}
        />
        <TextField pv={pv} state={state} name="overflowNumber" label="group.target_external" type="tel" />
        <SelectField
          pv={pv}
          state={state}
          name="overflowPromptId"
          label="group.target_prompt"
          emptyLabel={t('common.none')}
          options={prompts}
        />
      </div>

      <h2>{t('group.after_title')}</h2>
      <div class="grid-3">
        <CheckboxField pv={pv} state={state} name="survey" label="group.survey" hint="group.survey_hint" />
        <CheckboxField pv={pv} state={state} name="queueVisible" label="group.queue_visible" />
        <CheckboxField pv={pv} state={state} name="serveEarly" label="group.serve_early" />
      </div>
    </RecordForm>
  ));
}

crudRoutes(groupRoutes, {
  base: '/callcenter/groups',
  form: formPage,
  blank: () => blankGroupForm(),
  values: (g) => groupFormValues(g),
  parse: parseGroupInput,
  get: getGroup,
  create: createGroup,
  update: updateGroup,
  remove: deleteGroup,
});
