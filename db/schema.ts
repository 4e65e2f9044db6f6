/**
 * The database schema, split per area (db/schema/*.ts); this file gathers them so drizzle-kit
 * sees every table and the code imports one module. Migrations in db/migrations are generated
 * from it with `npm run db:generate` and committed.
 */
export * from './schema/core.ts';
export * from './schema/pbx.ts';
export * from './schema/lines.ts';
export * from './schema/calls.ts';
export * from './schema/media.ts';
export * from './schema/routing.ts';
export * from './schema/agents.ts';
export * from './schema/stats.ts';
