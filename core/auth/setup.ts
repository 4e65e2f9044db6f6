/**
 * First-run setup: while no account exists, the setup page creates the company's root
 * department, the built-in roles and the owner account. There is no default password.
 */
import { count, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { departments, type Locale, roles, userRoles, users } from '../../db/schema.ts';
import { ensureBuiltinRoles } from '../access/roles.ts';
import { auditAnonymous } from '../audit/audit-log.ts';
import type { AnonymousCtx } from '../context.ts';
import { DomainError } from '../errors.ts';
import * as check from '../validate.ts';
import { normaliseUsername } from './login.ts';
import { hashPassword, passwordProblem } from './passwords.ts';

export async function isSetupDone(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row?.n ?? 0) > 0;
}

export interface SetupInput {
  company: string;
  username: string;
  name: string;
  password: string;
  confirm: string;
  locale: Locale;
}

export function parseSetupInput(raw: Record<string, unknown>): SetupInput {
  return {
    company: check.text(raw.company),
    username: normaliseUsername(check.text(raw.username)),
    name: check.text(raw.name),
    password: typeof raw.password === 'string' ? raw.password : '',
    confirm: typeof raw.confirm === 'string' ? raw.confirm : '',
    locale: raw.locale === 'zh-CN' ? 'zh-CN' : 'en',
  };
}

/** Creates the owner; refuses once any account exists. `roleName` names built-in roles in the chosen language. */
export async function setupOwner(
  ctx: AnonymousCtx,
  input: SetupInput,
  roleName: (key: string, fallback: string) => string,
): Promise<number> {
  const problem = passwordProblem(input.password, input.username);
  check.collect({
    company: check.requiredText(input.company, 100),
    username: check.username(input.username),
    name: check.requiredText(input.name, 100),
    password: problem,
    confirm: !problem && input.password !== input.confirm ? 'password_mismatch' : null,
  });
  const passwordHash = await hashPassword(input.password);
  const ownerId = await ctx.db.transaction(async (tx) => {
    // Two browsers submitting at once: the lock makes the second see the first's owner.
    await tx.execute(sql`select pg_advisory_xact_lock(7001)`);
    if (await isSetupDone(tx)) throw new DomainError('setup_done');
    await ensureBuiltinRoles(tx, roleName);
    const [root] = await tx
      .insert(departments)
      .values({ name: input.company })
      .returning({ id: departments.id });
    const [owner] = await tx
      .insert(users)
      .values({
        username: input.username,
        name: input.name,
        departmentId: root!.id,
        passwordHash,
        locale: input.locale,
      })
      .returning({ id: users.id });
    const [ownerRole] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.builtinKey, 'owner'));
    await tx.insert(userRoles).values({ userId: owner!.id, roleId: ownerRole!.id });
    await tx.update(departments).set({ leaderId: owner!.id }).where(eq(departments.id, root!.id));
    await auditAnonymous(
      { ...ctx, db: tx },
      { id: owner!.id, username: input.username, departmentId: root!.id },
      {
        action: 'setup.owner_created',
        targetType: 'user',
        targetId: owner!.id,
        targetLabel: input.username,
        detail: { company: input.company },
      },
    );
    return owner!.id;
  });
  ctx.events?.publish({ type: 'employees.changed', userIds: [ownerId] });
  return ownerId;
}
