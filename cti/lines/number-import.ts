/**
 * Importing numbers (DIDs) from CSV (号码导入), as carriers hand them over in bulk. Each row is
 * checked with the same rules as the number form; good rows are imported, bad rows come back
 * with their line, column and reason. Trunks are named, agents given by username or job number.
 */
import { eq, or } from 'drizzle-orm';
import { phoneNumbers, trunks, users } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { failedLines, type ImportReport, openImport, type RowError } from '../../core/csv-import.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { type NumberInput, numberProblems, numberValues, parseNumberInput } from './lines.ts';

const headerAliases = {
  number: ['number', 'did', 'phone number', '号码', '电话号码'],
  trunk: ['trunk', 'line', '线路', '中继'],
  label: ['label', 'name', 'description', '名称', '备注'],
  maxCalls: ['max calls', 'max_calls', 'concurrency', '并发数', '最大并发'],
  minIntervalSeconds: ['min interval', 'min interval seconds', '最小间隔', '外呼间隔'],
  dailyCap: ['daily cap', 'daily_cap', '日呼叫上限', '每日上限'],
  sameDestinationDailyCap: ['same destination daily cap', 'same destination cap', '同号码日上限'],
  routeAgent: ['route to agent', 'agent', 'route agent', '直达坐席', '坐席'],
  ringSeconds: ['ring seconds', 'ring time', '振铃时长'],
  fallbackAgent: ['fallback agent', 'fallback', '备用坐席'],
} as const;
type Column = keyof typeof headerAliases;

export const numberTemplate = {
  header: [
    'number',
    'trunk',
    'label',
    'max calls',
    'min interval',
    'daily cap',
    'same destination daily cap',
    'route to agent',
    'ring seconds',
    'fallback agent',
  ],
  example: ['02150001234', 'Carrier A', 'Sales hotline', '10', '0', '0', '0', '8001', '30', '8002'],
};

export interface ImportedNumber {
  id: number;
  number: string;
}

/** Field names of the form mapped to the column names people see in the file. */
const fieldColumn: Record<string, Column> = {
  trunkId: 'trunk',
  routeUserId: 'routeAgent',
  fallbackUserId: 'fallbackAgent',
};

export async function importNumbers(ctx: Ctx, bytes: Uint8Array): Promise<ImportReport<ImportedNumber>> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const file = openImport<Column>(bytes, headerAliases, ['number', 'trunk']);
  const trunkByName = new Map(
    (await ctx.db.select({ id: trunks.id, name: trunks.name }).from(trunks)).map((t) => [
      t.name.toLowerCase(),
      t.id,
    ]),
  );
  const agentId = async (text: string): Promise<number | null | undefined> => {
    if (text === '') return null;
    const [u] = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(or(eq(users.username, text.toLowerCase()), eq(users.jobNumber, text)))
      .limit(1);
    return u?.id;
  };
  const errors: RowError[] = file.errors;
  const imported: ImportedNumber[] = [];
  const seen = new Set<string>();
  for (const row of file.rows) {
    const cell = (c: Column) => file.cell(row, c);
    const rowErrors: RowError[] = [];
    const fail = (field: string, code: ErrorCode, value: string) =>
      rowErrors.push({ line: row.line, field, code, value });
    const trunkId = trunkByName.get(cell('trunk').toLowerCase()) ?? null;
    const routeUserId = await agentId(cell('routeAgent'));
    const fallbackUserId = await agentId(cell('fallbackAgent'));
    const input: NumberInput = {
      ...parseNumberInput({
        number: cell('number'),
        label: cell('label'),
        maxCalls: cell('maxCalls'),
        minIntervalSeconds: cell('minIntervalSeconds'),
        dailyCap: cell('dailyCap'),
        sameDestinationDailyCap: cell('sameDestinationDailyCap'),
        ringSeconds: cell('ringSeconds'),
      }),
      trunkId,
      routeUserId: routeUserId ?? null,
      fallbackUserId: fallbackUserId ?? null,
    };
    const problems = await numberProblems(ctx.db, input, null);
    if (cell('trunk') !== '' && trunkId === null) problems.trunkId = 'trunk_unknown';
    if (routeUserId === undefined) problems.routeUserId = 'agent_unknown';
    if (fallbackUserId === undefined) problems.fallbackUserId = 'agent_unknown';
    if (input.number && seen.has(input.number)) problems.number = 'csv_duplicate_in_file';
    seen.add(input.number);
    for (const [field, code] of Object.entries(problems)) {
      const column = fieldColumn[field] ?? (field as Column);
      if (code) fail(column, code, cell(column));
    }
    if (rowErrors.length > 0) {
      errors.push(...rowErrors);
      continue;
    }
    try {
      const [created] = await ctx.db
        .insert(phoneNumbers)
        .values(numberValues(input))
        .returning({ id: phoneNumbers.id, number: phoneNumbers.number });
      imported.push(created!);
    } catch {
      errors.push({ line: row.line, field: 'number', code: 'conflict', value: input.number });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  await audit(ctx, {
    action: 'number.imported',
    detail: { total: file.rows.length, imported: imported.length, failed: failedLines(errors) },
  });
  return { total: file.rows.length, imported, errors };
}
