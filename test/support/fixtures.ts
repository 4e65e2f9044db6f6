/**
 * A small company built through the domain functions themselves: the owner from setup, two
 * sales departments and people in the built-in roles. Every password is known to the test.
 */
import { eq } from 'drizzle-orm';
import { type Actor, loadActor } from '../../core/access/actor.ts';
import { setupOwner } from '../../core/auth/setup.ts';
import { createDepartment, departmentTree } from '../../core/org/departments.ts';
import { createEmployee, parseEmployeeInput } from '../../core/org/employees.ts';
import { timeZoneSetting } from '../../config/settings.ts';
import type { Ctx } from '../../core/context.ts';
import type { Db } from '../../db/client.ts';
import { roles, users } from '../../db/schema.ts';

export const password = 'Correct-horse-42';
export const origin = { ip: '127.0.0.1', userAgent: 'test' };

export async function actorCtx(db: Db, userId: number): Promise<Ctx> {
  const actor = (await loadActor(db, userId)) as Actor;
  return { db, actor, ...origin, timeZone: timeZoneSetting() };
}

export async function roleId(db: Db, key: string): Promise<number> {
  const [r] = await db.select({ id: roles.id }).from(roles).where(eq(roles.builtinKey, key));
  return r!.id;
}

export interface Company {
  ownerId: number;
  owner: Ctx;
  rootId: number;
  salesA: number;
  salesB: number;
  teamA1: number;
  people: Record<'admin' | 'managerA' | 'repA' | 'repA1' | 'repB' | 'supervisorB', number>;
  ctx(userId: number): Promise<Ctx>;
}

export async function buildCompany(db: Db): Promise<Company> {
  const ownerId = await setupOwner(
    { db, ...origin },
    { company: 'Acme', username: 'owner', name: 'Olivia Owner', password, confirm: password, locale: 'en' },
    (_k, fallback) => fallback,
  );
  const owner = await actorCtx(db, ownerId);
  const rootId = (await departmentTree(db))[0]!.id;
  const dept = (name: string, parentId: number) =>
    createDepartment(owner, { name, parentId, leaderId: null, collaboratorIds: [] });
  const salesA = await dept('Sales A', rootId);
  const salesB = await dept('Sales B', rootId);
  const teamA1 = await dept('Team A1', salesA);
  const person = async (
    username: string,
    name: string,
    departmentId: number,
    role: string,
    jobNumber: string,
  ) => {
    const created = await createEmployee(
      owner,
      parseEmployeeInput({
        username,
        name,
        departmentId: String(departmentId),
        roleIds: [String(await roleId(db, role))],
        jobNumber,
        password,
      }),
    );
    await db.update(users).set({ mustChangePassword: false }).where(eq(users.id, created.id));
    return created.id;
  };
  const people = {
    admin: await person('admin', 'Adam Admin', rootId, 'admin', '1001'),
    managerA: await person('manager.a', 'Mia Manager', salesA, 'sales_manager', '2001'),
    repA: await person('rep.a', 'Ray RepA', salesA, 'sales_rep', '2002'),
    repA1: await person('rep.a1', 'Rita TeamA1', teamA1, 'sales_rep', '2003'),
    repB: await person('rep.b', 'Bob RepB', salesB, 'sales_rep', '3001'),
    supervisorB: await person('sup.b', 'Sue SupervisorB', salesB, 'supervisor', '3002'),
  };
  return { ownerId, owner, rootId, salesA, salesB, teamA1, people, ctx: (id) => actorCtx(db, id) };
}
