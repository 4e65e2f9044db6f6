/**
 * Importing employees from CSV (员工导入). Every row is checked with the same rules as the
 * form; good rows are imported, bad rows come back with their line, field and reason.
 */
import { recordScope } from '../access/actor.ts';
import { allRoles } from '../access/roles.ts';
import { audit } from '../audit/audit-log.ts';
import { normaliseUsername } from '../auth/login.ts';
import type { Ctx } from '../context.ts';
import { failedLines, type ImportReport, openImport, type RowError } from '../csv-import.ts';
import type { ErrorCode } from '../errors.ts';
import * as check from '../validate.ts';
import { departmentTree } from './departments.ts';
import { type CreatedEmployee, type EmployeeInput, employeeProblems, insertEmployee } from './employees.ts';

const requiredColumns = ['username', 'name', 'department'] as const;

/** Header names accepted for each column (English and Chinese, case-insensitive). */
const headerAliases = {
  username: ['username', 'login', 'account', '用户名', '账号', '登录名'],
  name: ['name', 'full name', '姓名', '名称'],
  jobNumber: ['job number', 'job_number', 'agent number', 'employee number', '工号'],
  department: ['department', 'dept', '部门'],
  roles: ['roles', 'role', '角色'],
  phone: ['phone', 'mobile', '手机', '手机号', '电话'],
  email: ['email', 'e-mail', '邮箱', '电子邮箱'],
  canDialOut: ['can dial out', 'can_dial_out', 'outbound', '外呼', '外呼权限'],
} as const;
type ImportColumn = keyof typeof headerAliases;

export type ImportResult = ImportReport<CreatedEmployee>;

/**
 * `roleAliases` gives, per built-in role key, the default names it goes by in every language
 * (the web layer knows the translations): a CSV naming "Agent" finds the agent role on an
 * install set up in Chinese (坐席), and the other way round, as long as the role keeps its name.
 */
export async function importEmployees(
  ctx: Ctx,
  bytes: Uint8Array,
  roleAliases: (builtinKey: string) => readonly string[] = () => [],
): Promise<ImportResult> {
  const scope = await recordScope(ctx.db, ctx.actor, 'employees:import');
  await recordScope(ctx.db, ctx.actor, 'employees:create');
  const file = openImport<ImportColumn>(bytes, headerAliases, requiredColumns);

  const tree = await departmentTree(ctx.db);
  const roleList = await allRoles(ctx.db);
  const errors: RowError[] = file.errors;
  const seenUsernames = new Set<string>();
  const seenJobNumbers = new Set<string>();
  const imported: CreatedEmployee[] = [];

  for (const row of file.rows) {
    const cell = (c: ImportColumn) => file.cell(row, c);
    const rowErrors: RowError[] = [];
    const fail = (field: string, code: ErrorCode, value: string) =>
      rowErrors.push({ line: row.line, field, code, value });

    const deptText = cell('department');
    const byPath = tree.filter((d) => d.path.join('/') === deptText.replace(/\s*\/\s*/g, '/'));
    const byName = tree.filter((d) => d.name === deptText);
    const dept = byPath[0] ?? (byName.length === 1 ? byName[0] : undefined);
    const roleNames = cell('roles')
      .split(/[;,|、，；]/)
      .map((r) => r.trim())
      .filter(Boolean);
    const roleIds: number[] = [];
    for (const rn of roleNames) {
      const wanted = rn.toLowerCase();
      const role =
        roleList.find((r) => r.name.toLowerCase() === wanted) ??
        roleList.find(
          (r) =>
            r.builtinKey !== null &&
            (r.builtinKey === wanted || roleAliases(r.builtinKey).some((a) => a.toLowerCase() === wanted)) &&
            roleAliases(r.builtinKey).includes(r.name),
        );
      if (role) roleIds.push(role.id);
      else fail('roles', 'role_unknown', rn);
    }
    const input: EmployeeInput = {
      username: normaliseUsername(cell('username')),
      name: cell('name'),
      jobNumber: cell('jobNumber') || null,
      email: cell('email') || null,
      phone: cell('phone') || null,
      departmentId: dept?.id ?? null,
      roleIds,
      canDialOut: check.toBool(cell('canDialOut')),
      password: '',
    };
    const problems = await employeeProblems(ctx.db, ctx.actor, scope, input, null);
    if (deptText && !dept) problems.departmentId = 'department_unknown';
    // A value seen earlier in this file is reported as such, not as taken by that earlier row.
    if (input.username && seenUsernames.has(input.username)) problems.username = 'csv_duplicate_in_file';
    if (input.jobNumber && seenJobNumbers.has(input.jobNumber)) problems.jobNumber = 'csv_duplicate_in_file';
    const typed: Record<string, string> = {
      username: input.username,
      name: input.name,
      jobNumber: cell('jobNumber'),
      email: cell('email'),
      phone: cell('phone'),
      departmentId: deptText,
      roleIds: cell('roles'),
    };
    for (const [field, code] of Object.entries(problems)) {
      if (code && field !== 'roleIds')
        fail(field === 'departmentId' ? 'department' : field, code, typed[field] ?? '');
      else if (code && roleNames.length > 0 && rowErrors.every((e) => e.field !== 'roles'))
        fail('roles', code, cell('roles'));
    }
    seenUsernames.add(input.username);
    if (input.jobNumber) seenJobNumbers.add(input.jobNumber);
    if (rowErrors.length > 0) {
      errors.push(...rowErrors);
      continue;
    }
    try {
      const created = await ctx.db.transaction(async (tx) => {
        const c = await insertEmployee(tx, input);
        await audit(
          { ...ctx, db: tx },
          {
            action: 'employee.created',
            targetType: 'user',
            targetId: c.id,
            targetLabel: c.username,
            detail: { via: 'import', line: row.line },
          },
        );
        return c;
      });
      imported.push(created);
    } catch {
      errors.push({ line: row.line, field: 'username', code: 'conflict', value: input.username });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  await audit(ctx, {
    action: 'employee.imported',
    detail: {
      total: file.rows.length,
      imported: imported.length,
      failed: failedLines(errors),
    },
  });
  if (imported.length > 0)
    ctx.events?.publish({ type: 'employees.changed', userIds: imported.map((i) => i.id) });
  return { total: file.rows.length, imported, errors };
}
