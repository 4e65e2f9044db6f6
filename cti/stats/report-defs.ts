/**
 * What each historical report is (统计报表, 3.6; 3.13): its rows (time slots, groups, agents,
 * business types, regions, IVR menus), the rollup it reads, its columns (figures of
 * cti/stats/kpis.ts) and chart; and the shapes of a report's parameters and result.
 */
export const granularities = ['15m', 'hour', 'day', 'week', 'month'] as const;
export type Granularity = (typeof granularities)[number];

export const reportKeys = [
  'service',
  'team',
  'agent',
  'agent_inbound',
  'agent_outbound',
  'satisfaction',
  'attendance',
  'ivr',
  'business',
  'callers',
  'lost',
] as const;
export type ReportKey = (typeof reportKeys)[number];

export type RowKind = 'time' | 'group' | 'agent' | 'business' | 'region' | 'ivr_node';

export interface ReportDef {
  rows: RowKind;
  source: 'calls' | 'agents' | 'attendance' | 'ivr' | 'mix';
  columns: readonly string[];
  /** The figures the chart draws, and how. */
  chart: { kind: 'bar' | 'line'; series: readonly string[] };
  /** The smallest granularity the source keeps (the call mix is kept per day). */
  finest?: Granularity;
}

export const reports: Record<ReportKey, ReportDef> = {
  service: {
    rows: 'time',
    source: 'calls',
    columns: [
      'offered',
      'answered',
      'answer_rate',
      'abandoned',
      'short_abandoned',
      'service_level',
      'asa',
      'avg_wait',
      'longest_wait',
      'aht',
      'transfers',
      'conferences',
      'quick_hangups',
      'fcr',
      'repeat_calls',
      'satisfaction_rate',
      'out_attempts',
      'out_connects',
      'connect_rate',
      'out_talk',
    ],
    chart: { kind: 'bar', series: ['offered', 'answered', 'abandoned'] },
  },
  team: {
    rows: 'group',
    source: 'calls',
    columns: [
      'offered',
      'answered',
      'answer_rate',
      'abandoned',
      'abandon_rate',
      'service_level',
      'asa',
      'longest_wait',
      'aht',
      'transfers',
      'fcr',
      'satisfaction_rate',
      'callbacks',
      'unserved',
    ],
    chart: { kind: 'bar', series: ['offered', 'answered'] },
  },
  agent: {
    rows: 'agent',
    source: 'agents',
    columns: [
      'answered',
      'answer_rate',
      'talk_time',
      'aht',
      'hold_time',
      'wrap_time',
      'out_attempts',
      'out_connects',
      'out_talk',
      'online',
      'break_time',
      'occupancy',
      'satisfaction_rate',
    ],
    chart: { kind: 'bar', series: ['answered', 'out_connects'] },
  },
  agent_inbound: {
    rows: 'agent',
    source: 'agents',
    columns: [
      'rang',
      'answered',
      'answer_rate',
      'no_answer',
      'talk_time',
      'avg_talk',
      'transfers',
      'conferences',
      'quick_hangups',
      'rated',
      'score_1',
      'score_2',
      'score_3',
      'satisfaction_rate',
    ],
    chart: { kind: 'bar', series: ['answered', 'no_answer'] },
  },
  agent_outbound: {
    rows: 'agent',
    source: 'agents',
    columns: [
      'out_attempts',
      'out_connects',
      'connect_rate',
      'out_no_answer',
      'out_talk',
      'out_avg_talk',
      'out_effective',
      'effective_rate',
      'transfers',
      'conferences',
    ],
    chart: { kind: 'bar', series: ['out_attempts', 'out_connects'] },
  },
  satisfaction: {
    rows: 'agent',
    source: 'agents',
    columns: [
      'answered',
      'rated',
      'score_1',
      'score_2',
      'score_3',
      'score_4',
      'score_5',
      'satisfaction_rate',
    ],
    chart: { kind: 'bar', series: ['score_1', 'score_2', 'score_3'] },
  },
  attendance: {
    rows: 'agent',
    source: 'attendance',
    // Break time per reason follows break_time (one column per reason, see runReport).
    columns: [
      'first_login',
      'last_logout',
      'online',
      'ready_time',
      'break_time',
      'on_call_time',
      'talk_time',
      'answered',
      'occupancy',
    ],
    chart: { kind: 'bar', series: ['online', 'break_time'] },
    finest: 'day',
  },
  ivr: {
    rows: 'ivr_node',
    source: 'ivr',
    columns: ['visits'],
    chart: { kind: 'bar', series: ['visits'] },
  },
  business: {
    rows: 'business',
    source: 'mix',
    columns: ['calls', 'share'],
    chart: { kind: 'bar', series: ['calls'] },
    finest: 'day',
  },
  callers: {
    rows: 'region',
    source: 'mix',
    columns: ['calls', 'share'],
    chart: { kind: 'bar', series: ['calls'] },
    finest: 'day',
  },
  lost: {
    rows: 'time',
    source: 'calls',
    columns: [
      'offered',
      'abandoned',
      'abandoned_queue',
      'abandoned_ringing',
      'abandoned_ivr',
      'short_abandoned',
      'abandon_rate',
      'unserved',
      'callbacks',
    ],
    chart: { kind: 'line', series: ['abandoned', 'unserved'] },
  },
};

export interface ReportParams {
  report: ReportKey;
  /** Local dates, inclusive. */
  from: string;
  to: string;
  granularity: Granularity;
  groupId: number | null;
  agentId: number | null;
  ivrId: number | null;
}

/** What a row is about; shown as `label`, or `label · t(labelKey)` when a key is given. */
export interface Entity {
  id: string;
  label: string;
  labelKey?: string;
}

export interface ReportRow {
  /** Start of the time slot. */
  slot: Date;
  /** The group, agent, business type, region or IVR menu of the row. */
  entity: Entity | null;
  values: Record<string, number | null>;
}

export interface ReportColumn {
  key: string;
  unit: 'count' | 'percent' | 'duration' | 'time';
  /** Columns that are not figures of kpis.ts (break reasons) carry their own label. */
  title?: Omit<Entity, 'id'>;
}

export interface ReportResult {
  params: ReportParams;
  def: ReportDef;
  columns: ReportColumn[];
  rows: ReportRow[];
  totals: Record<string, number | null>;
  /** Rows by group, agent, business type, region or IVR menu: each one's figures over the whole range. */
  entityTotals: { entity: Entity; values: Record<string, number | null> }[];
  /** The range as instants (local midnight to local midnight). */
  range: { from: Date; to: Date };
  tz: string;
}
