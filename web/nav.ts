/**
 * The navigation: every area of the product and the pages in it, each behind the permission
 * that opens it. Areas whose pages come with later releases show as inactive entries.
 */
import type { Actor } from '../core/access/actor.ts';
import type { Permission } from '../core/access/permissions.ts';
import type { MessageKey } from './i18n/index.ts';

export interface NavItem {
  label: MessageKey;
  href: string;
  permission: Permission;
  /** Pages about more than one's own records (floor reports): hidden from readers limited to their own. */
  beyondSelf?: boolean;
}

export interface NavArea {
  label: MessageKey;
  /** Seeing the area at all needs this permission. */
  permission: Permission | null;
  items: NavItem[];
}

export const navigation: readonly NavArea[] = [
  {
    label: 'nav.desk',
    permission: 'desk:use',
    items: [
      { label: 'nav.my_desk', href: '/desk', permission: 'desk:use' },
      { label: 'nav.my_phone', href: '/desk/phone', permission: 'desk:use' },
    ],
  },
  {
    label: 'nav.callcenter',
    permission: 'callcenter:view',
    items: [
      { label: 'nav.pbx', href: '/callcenter/pbx', permission: 'callcenter:view' },
      { label: 'nav.trunks', href: '/callcenter/trunks', permission: 'callcenter:view' },
      { label: 'nav.numbers', href: '/callcenter/numbers', permission: 'callcenter:view' },
      { label: 'nav.prompts', href: '/callcenter/prompts', permission: 'callcenter:view' },
      { label: 'nav.ivrs', href: '/callcenter/ivrs', permission: 'callcenter:view' },
      { label: 'nav.hotlines', href: '/callcenter/hotlines', permission: 'callcenter:view' },
      { label: 'nav.groups', href: '/callcenter/groups', permission: 'callcenter:view' },
      { label: 'nav.blacklist', href: '/callcenter/blacklist', permission: 'callcenter:view' },
      { label: 'nav.vip', href: '/callcenter/vip', permission: 'callcenter:view' },
      { label: 'nav.desk_settings', href: '/callcenter/desk', permission: 'callcenter:edit' },
    ],
  },
  {
    label: 'nav.calls',
    permission: null,
    items: [
      { label: 'nav.call_records', href: '/calls', permission: 'calls:view' },
      { label: 'nav.inbound_calls', href: '/calls/inbound', permission: 'calls:view' },
      { label: 'nav.outbound_calls', href: '/calls/outbound', permission: 'calls:view' },
      { label: 'nav.ivr_log', href: '/calls/ivr', permission: 'callcenter:view' },
      { label: 'nav.lost_calls', href: '/calls/lost', permission: 'calls:view' },
    ],
  },
  {
    label: 'nav.supervisor',
    permission: 'supervisor:view',
    items: [
      { label: 'nav.workbench', href: '/supervisor', permission: 'supervisor:view' },
      { label: 'nav.monitoring_log', href: '/supervisor/log', permission: 'supervisor:view' },
    ],
  },
  {
    label: 'nav.reports',
    permission: null,
    items: [
      { label: 'nav.reports_all', href: '/reports', permission: 'reports:view' },
      { label: 'nav.service_report', href: '/reports/service', permission: 'reports:view', beyondSelf: true },
      { label: 'nav.agent_report', href: '/reports/agent', permission: 'reports:view' },
      { label: 'nav.attendance', href: '/reports/attendance', permission: 'reports:view' },
      { label: 'nav.staffing', href: '/reports/staffing', permission: 'reports:view', beyondSelf: true },
      { label: 'nav.stats_rules', href: '/reports/rules', permission: 'reports:view', beyondSelf: true },
      { label: 'nav.wallboard', href: '/wallboard', permission: 'supervisor:view' },
    ],
  },
  { label: 'nav.crm', permission: 'crm:view', items: [] },
  { label: 'nav.tickets', permission: 'tickets:view', items: [] },
  { label: 'nav.qa', permission: 'qa:view', items: [] },
  {
    label: 'nav.system',
    permission: null,
    items: [
      { label: 'nav.departments', href: '/system/departments', permission: 'departments:view' },
      { label: 'nav.roles', href: '/system/roles', permission: 'roles:view' },
      { label: 'nav.employees', href: '/system/employees', permission: 'employees:view' },
      { label: 'nav.audit', href: '/system/audit', permission: 'audit:view' },
    ],
  },
];

function opens(actor: Actor, item: NavItem): boolean {
  const scope = actor.grants.get(item.permission);
  if (!scope) return false;
  return !item.beyondSelf || scope !== 'self' || actor.ledDepartmentIds.length > 0;
}

/** The areas and items this actor may open. */
export function navigationFor(actor: Actor): { area: NavArea; items: NavItem[] }[] {
  return navigation
    .map((area) => ({ area, items: area.items.filter((i) => opens(actor, i)) }))
    .filter(({ area, items }) => (area.permission ? actor.grants.has(area.permission) : items.length > 0));
}
