import type { Ctx } from '../../core/context.ts';
import type { AgentState } from '../../db/schema.ts';
import type { CallEngine } from '../calls/engine.ts';
import { agentsOnCalls } from '../desk/view.ts';
import { statsRules } from '../stats/rules.ts';
import { todayFigures } from '../stats/today.ts';
import { requireWorkbench, supervisedAgents } from './floor.ts';
import type { MonitorMode } from './monitor.ts';

export interface Floor {
  queues: {
    id: number;
    name: string;
    waiting: number;
    longestSeconds: number;
    staffed: number;
    free: number;
    offered: number;
    answered: number;
    abandoned: number;
    serviceLevel: number | null;
  }[];
  agents: {
    id: number;
    name: string;
    jobNumber: string;
    state: AgentState;
    since: number;
    call: { number: string; since: number | null } | null;
    groups: string[];
  }[];
  sessions: { id: number; agentId: number; mode: MonitorMode }[];
  slSeconds: number;
}

export async function workbenchFloor(ctx: Ctx, engine: CallEngine | null): Promise<Floor> {
  requireWorkbench(ctx);
  const rules = await statsRules(ctx.db);
  const slSeconds = rules.serviceLevelSeconds;
  const today = (await todayFigures(ctx.db, new Date(), ctx.timeZone, rules)).groups;
  const view = engine?.floor;
  const queues = (view?.groups() ?? []).map((g) => {
    const now = view!.queueNow(g.id);
    const d = today.get(g.id);
    return {
      id: g.id,
      name: g.name,
      ...now,
      offered: d?.offered ?? 0,
      answered: d?.answered ?? 0,
      abandoned: d?.abandoned ?? 0,
      serviceLevel: d?.serviceLevel ?? null,
    };
  });
  const people = await supervisedAgents(ctx);
  const groupNames = view?.names().groups ?? new Map<number, string>();
  const calls = engine
    ? agentsOnCalls(
        engine,
        people.map((p) => p.id),
      )
    : new Map();
  const agents = people.map((p) => {
    const a = view?.agent(p.id);
    const groups = (a?.groupIds ?? []).map((id) => groupNames.get(id) ?? '');
    return {
      id: p.id,
      name: p.name,
      jobNumber: p.jobNumber,
      state: a?.state ?? ('logged_out' as AgentState),
      since: a?.since ?? 0,
      call: calls.get(p.id) ?? null,
      groups,
    };
  });
  return { queues, agents, sessions: engine?.monitor.sessionsOf(ctx.actor.userId) ?? [], slSeconds };
}
