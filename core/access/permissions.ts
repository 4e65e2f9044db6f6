/**
 * The catalogue of function permissions: an area and an action, written `area:action`.
 * Roles hold a set of these plus one data scope. Later issues add their areas here; the
 * role editor and the checks read this one list.
 */
import type { DataScope } from '../../db/schema.ts';

export const permissionCatalog = {
  desk: ['use'],
  callcenter: ['view', 'edit'],
  calls: ['view', 'listen', 'download', 'export', 'delete_recordings'],
  supervisor: ['view', 'monitor', 'force_state'],
  reports: ['view', 'export', 'edit'],
  crm: ['view', 'create', 'edit', 'delete', 'export', 'import', 'assign'],
  tickets: ['view', 'create', 'edit', 'delete', 'export', 'assign'],
  qa: ['view', 'score', 'edit', 'export'],
  departments: ['view', 'create', 'edit', 'delete'],
  roles: ['view', 'create', 'edit', 'delete'],
  employees: ['view', 'create', 'edit', 'disable', 'reset_password', 'import', 'export'],
  audit: ['view', 'export'],
} as const;

type Catalog = typeof permissionCatalog;
export type Area = keyof Catalog;
export type Permission = { [A in Area]: `${A}:${Catalog[A][number]}` }[Area];

export const allPermissions: readonly Permission[] = (Object.keys(permissionCatalog) as Area[]).flatMap(
  (area) => permissionCatalog[area].map((action) => `${area}:${action}` as Permission),
);

const permissionSet: ReadonlySet<string> = new Set(allPermissions);
export function isPermission(value: string): value is Permission {
  return permissionSet.has(value);
}

export const dataScopes: readonly DataScope[] = ['self', 'department', 'all'];
const scopeRank: Record<DataScope, number> = { self: 0, department: 1, all: 2 };
export function widerScope(a: DataScope, b: DataScope): DataScope {
  return scopeRank[a] >= scopeRank[b] ? a : b;
}
export function isDataScope(value: string): value is DataScope {
  return value in scopeRank;
}

export type BuiltinRoleKey =
  | 'owner'
  | 'admin'
  | 'supervisor'
  | 'agent'
  | 'qa'
  | 'sales_manager'
  | 'sales_rep';

export interface BuiltinRole {
  key: BuiltinRoleKey;
  name: string;
  dataScope: DataScope;
  permissions: readonly Permission[];
}

const area = (a: Area): Permission[] => permissionCatalog[a].map((action) => `${a}:${action}` as Permission);

/** The roles a fresh install starts with (names are the English defaults; users may rename them). */
export const builtinRoles: readonly BuiltinRole[] = [
  { key: 'owner', name: 'Owner', dataScope: 'all', permissions: allPermissions },
  { key: 'admin', name: 'Administrator', dataScope: 'all', permissions: allPermissions },
  {
    key: 'supervisor',
    name: 'Supervisor',
    dataScope: 'department',
    permissions: [
      'desk:use',
      // Every calls permission but deleting recordings (the retention), which stays with administrators.
      'calls:view',
      'calls:listen',
      'calls:download',
      'calls:export',
      ...area('supervisor'),
      'reports:view',
      'reports:export',
      'crm:view',
      ...area('tickets'),
      'qa:view',
      'departments:view',
      'employees:view',
      'employees:export',
    ],
  },
  {
    key: 'agent',
    name: 'Agent',
    dataScope: 'self',
    permissions: [
      'desk:use',
      'calls:view',
      'calls:listen',
      'reports:view',
      'crm:view',
      'crm:create',
      'crm:edit',
      'tickets:view',
      'tickets:create',
      'tickets:edit',
    ],
  },
  {
    key: 'qa',
    name: 'QA inspector',
    dataScope: 'department',
    permissions: [
      ...area('qa'),
      'calls:view',
      'calls:listen',
      'calls:download',
      'reports:view',
      'departments:view',
      'employees:view',
    ],
  },
  {
    key: 'sales_manager',
    name: 'Sales manager',
    dataScope: 'department',
    permissions: [
      ...area('crm'),
      'reports:view',
      'reports:export',
      'calls:view',
      'calls:listen',
      'departments:view',
      'employees:view',
      'desk:use',
    ],
  },
  {
    key: 'sales_rep',
    name: 'Sales representative',
    dataScope: 'self',
    permissions: ['desk:use', 'calls:view', 'reports:view', 'crm:view', 'crm:create', 'crm:edit'],
  },
];

export function isBuiltinRoleKey(key: string): key is BuiltinRoleKey {
  return builtinRoles.some((r) => r.key === key);
}

/** Members of a deleted role land here unless the deleting admin picks another role. */
export const defaultRoleKey: BuiltinRoleKey = 'agent';
