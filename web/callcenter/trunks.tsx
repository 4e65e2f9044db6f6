/** Trunks (线路): the list with live state and calls in progress, create, edit and delete. */
import { Hono } from 'hono';
import { arrayListing } from '../../core/list-query.ts';
import {
  authModes,
  createTrunk,
  deleteTrunk,
  getTrunk,
  knownCodecs,
  listTrunks,
  parseTrunkInput,
  type Trunk,
  transports,
  updateTrunk,
} from '../../cti/lines/lines.ts';
import type { TrunkStatus } from '../../pbx/status.ts';
import { trunkStatuses } from '../../pbx/status.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf, engineOf } from '../env.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, deleteRowAction, loadTable, type TableSpec } from '../table.tsx';
import {
  CheckboxField,
  CheckboxGroup,
  type FormState,
  SelectField,
  TextField,
  editLink,
  RecordForm,
} from '../views/form.tsx';
import { ListPanel } from '../views/list-panel.tsx';
import { type PageView, renderPage } from '../views/page.tsx';

export const trunkRoutes = new Hono<AppEnv>();

type TrunkRow = Trunk & { live: TrunkStatus | undefined };

/** States the PBX reports (qualify and outbound registration), translated; others show as reported. */
const stateLabels: Record<string, MessageKey> = {
  Reachable: 'trunk.state.reachable',
  Unreachable: 'trunk.state.unreachable',
  Registered: 'trunk.state.registered',
  Unregistered: 'trunk.state.unregistered',
  Rejected: 'trunk.state.rejected',
  NotProbed: 'trunk.state.not_probed',
  Unknown: 'trunk.state.unknown',
};
const goodStates = new Set(['Reachable', 'Registered', 'NotProbed']);

/** A trunk's live state as a badge: green when calls can flow, amber otherwise. */
export function TrunkState({ pv, state, enabled }: { pv: PageView; state: string; enabled: boolean }) {
  if (!enabled) return <span class="badge">{pv.t('common.disabled')}</span>;
  const label = stateLabels[state];
  return (
    <span class={`badge ${goodStates.has(state) ? 'ok' : 'warn'}`} data-state={state}>
      {label ? pv.t(label) : state}
    </span>
  );
}

const table: TableSpec<TrunkRow> = {
  id: 'trunks',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    {
      key: 'name',
      label: 'trunk.name',
      sort: 'name',
      cell: editLink('callcenter:edit', '/callcenter/trunks', (r) => r.name),
      csv: (r) => r.name,
    },
    { key: 'target', label: 'trunk.target', cell: (r) => `${r.transport}:${r.host}:${r.port}` },
    { key: 'authMode', label: 'trunk.auth_mode', cell: (r, pv) => pv.t(`trunk.auth.${r.authMode}`) },
    { key: 'codecs', label: 'trunk.codecs', cell: (r) => r.codecs.join(', '), hiddenByDefault: true },
    {
      key: 'state',
      label: 'trunk.state',
      cell: (r, pv) => <TrunkState pv={pv} state={r.live?.state ?? 'Unknown'} enabled={r.enabled} />,
    },
    {
      key: 'calls',
      label: 'trunk.calls',
      cell: (r) => `${r.live?.activeCalls ?? 0}${r.maxCalls > 0 ? ` / ${r.maxCalls}` : ''}`,
    },
  ],
  rowActions: deleteRowAction(
    'callcenter:edit',
    (r) => `/callcenter/trunks/${r.id}/delete`,
    (r) => r.name,
  ),
};

trunkRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/callcenter/trunks', async (q) => {
    const all = await listTrunks(ctx);
    const live = await trunkStatuses(c.get('deps').pbx, engineOf(c), all);
    const needle = (q.filters.q ?? '').toLowerCase();
    const rows = all
      .filter((r) => !needle || r.name.toLowerCase().includes(needle) || r.host.includes(needle))
      .map((r) => ({ ...r, live: live.get(r.id) }));
    if (q.dir === 'desc') rows.reverse();
    return arrayListing(rows);
  });
  return renderPage(c, { title: t('trunk.title') }, (pv) => (
    <ListPanel
      pv={pv}
      title="trunk.title"
      intro="trunk.intro"
      buttons={[
        { href: '/callcenter/trunks/new', label: 'trunk.new', permission: 'callcenter:edit', primary: true },
      ]}
    >
      {/* Live: the table refreshes itself every few seconds. */}
      <div
        hx-get={c.req.url}
        hx-trigger="every 5s"
        hx-select="#dt-trunks"
        hx-target="#dt-trunks"
        hx-swap="outerHTML"
      >
        <DataTable pv={pv} data={data} />
      </div>
    </ListPanel>
  ));
});

async function formPage(c: C, state: FormState, editing: Trunk | null, status: 200 | 422 = 200) {
  const t = c.get('t');
  const title = editing ? t('trunk.edit') : t('trunk.new');
  return renderPage(c, { title, status }, (pv) => (
    <RecordForm
      pv={pv}
      state={state}
      base="/callcenter/trunks"
      editingId={editing?.id ?? null}
      title={title}
      id="trunk-form"
    >
      <div class="grid-2">
        <TextField pv={pv} state={state} name="name" label="trunk.name" required />
        <SelectField
          pv={pv}
          state={state}
          name="authMode"
          label="trunk.auth_mode"
          hint="trunk.auth_mode_hint"
          options={authModes.map((m) => ({ value: m, label: t(`trunk.auth.${m}`) }))}
        />
        <TextField pv={pv} state={state} name="host" label="trunk.host" required />
        <TextField pv={pv} state={state} name="port" label="trunk.port" hint="trunk.port_hint" />
        <SelectField
          pv={pv}
          state={state}
          name="transport"
          label="trunk.transport"
          options={transports.map((m) => ({ value: m, label: m.toUpperCase() }))}
        />
        <TextField
          pv={pv}
          state={state}
          name="maxCalls"
          label="trunk.max_calls"
          hint="trunk.max_calls_hint"
        />
        <TextField
          pv={pv}
          state={state}
          name="username"
          label="trunk.username"
          hint="trunk.credentials_hint"
          autocomplete="off"
        />
        <TextField
          pv={pv}
          state={state}
          name="password"
          label="trunk.password"
          type="password"
          hint={editing ? 'trunk.password_keep_hint' : 'trunk.credentials_hint'}
          autocomplete="new-password"
        />
      </div>
      <CheckboxGroup
        pv={pv}
        state={state}
        name="codecs"
        label="trunk.codecs"
        hint="trunk.codecs_hint"
        options={knownCodecs.map((k) => ({ value: k, label: k }))}
      />
      <CheckboxField pv={pv} state={state} name="qualify" label="trunk.qualify" hint="trunk.qualify_hint" />
      <CheckboxField pv={pv} state={state} name="enabled" label="trunk.enabled" />
    </RecordForm>
  ));
}

crudRoutes(trunkRoutes, {
  base: '/callcenter/trunks',
  form: formPage,
  blank: () => ({
    authMode: 'ip',
    transport: 'udp',
    port: '5060',
    codecs: ['alaw', 'ulaw'],
    qualify: '1',
    enabled: '1',
  }),
  values: (tr) => ({
    name: tr.name,
    host: tr.host,
    port: tr.port,
    transport: tr.transport,
    authMode: tr.authMode,
    username: tr.username,
    codecs: tr.codecs,
    maxCalls: tr.maxCalls,
    qualify: tr.qualify ? '1' : '',
    enabled: tr.enabled ? '1' : '',
  }),
  // An unticked box is absent from the form: read it as "no", not as the domain's default.
  parse: (raw) => parseTrunkInput({ qualify: '', enabled: '', ...raw }),
  get: getTrunk,
  create: createTrunk,
  update: updateTrunk,
  remove: deleteTrunk,
  created: 'trunk.created',
});
