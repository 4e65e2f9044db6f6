/**
 * SIP accounts of agents: every enabled employee whose roles grant the agent desk gets one,
 * with a strong generated password. The SIP username is the job number when it is a free
 * 3–8 digit number (agents dial each other by it), otherwise 1000 + the user id.
 */
import { randomInt } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { requirePermission } from '../core/access/actor.ts';
import type { Ctx } from '../core/context.ts';
import type { Db } from '../db/client.ts';
import { roles, sipAccounts, userRoles, users } from '../db/schema.ts';

export interface AgentAccount {
  userId: number;
  name: string;
  username: string;
  password: string;
  departmentId: number;
}

const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
export function sipPassword(length = 24): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Enabled users holding desk:use through any role. */
async function agentUsers(db: Db) {
  return db
    .selectDistinct({
      id: users.id,
      name: users.name,
      jobNumber: users.jobNumber,
      departmentId: users.departmentId,
    })
    .from(users)
    .innerJoin(userRoles, eq(userRoles.userId, users.id))
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(users.enabled, true), sql`'desk:use' = any(${roles.permissions})`));
}

/** Creates missing accounts and returns every active agent account. */
export async function ensureAgentAccounts(db: Db): Promise<AgentAccount[]> {
  const agents = await agentUsers(db);
  const existing = await db.select().from(sipAccounts);
  const byUser = new Map(existing.map((a) => [a.userId, a]));
  const taken = new Set(existing.map((a) => a.username));
  const out: AgentAccount[] = [];
  for (const agent of agents) {
    let account = byUser.get(agent.id);
    if (!account) {
      const preferred =
        agent.jobNumber && /^\d{3,8}$/.test(agent.jobNumber) && !taken.has(agent.jobNumber)
          ? agent.jobNumber
          : String(1000 + agent.id);
      const [row] = await db
        .insert(sipAccounts)
        .values({ userId: agent.id, username: preferred, password: sipPassword() })
        .onConflictDoNothing()
        .returning();
      if (!row) continue;
      account = row;
      taken.add(row.username);
    }
    out.push({
      userId: agent.id,
      name: agent.name,
      username: account.username,
      password: account.password,
      departmentId: agent.departmentId,
    });
  }
  return out.sort((a, b) => a.username.localeCompare(b.username));
}

export async function accountOf(
  db: Db,
  userId: number,
): Promise<{ username: string; password: string } | null> {
  const [row] = await db.select().from(sipAccounts).where(eq(sipAccounts.userId, userId));
  return row ? { username: row.username, password: row.password } : null;
}

/** The logged-in agent's own SIP account (the "My phone" page). */
export async function ownPhoneAccount(ctx: Ctx): Promise<{ username: string; password: string } | null> {
  requirePermission(ctx.actor, 'desk:use');
  await ensureAgentAccounts(ctx.db);
  return accountOf(ctx.db, ctx.actor.userId);
}
