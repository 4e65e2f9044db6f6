-- Call records and recordings got their own permission area (calls:*). Installations made
-- before it get the new permissions on their built-in roles, as fresh installations do.
UPDATE "roles" SET "permissions" = array(SELECT DISTINCT unnest("permissions" || ARRAY['calls:view','calls:listen','calls:download','calls:export']))
  WHERE "builtin_key" IN ('owner', 'admin', 'supervisor');
--> statement-breakpoint
UPDATE "roles" SET "permissions" = array(SELECT DISTINCT unnest("permissions" || ARRAY['calls:view','calls:listen','calls:download']))
  WHERE "builtin_key" = 'qa';
--> statement-breakpoint
UPDATE "roles" SET "permissions" = array(SELECT DISTINCT unnest("permissions" || ARRAY['calls:view','calls:listen']))
  WHERE "builtin_key" IN ('agent', 'sales_manager');
--> statement-breakpoint
UPDATE "roles" SET "permissions" = array(SELECT DISTINCT unnest("permissions" || ARRAY['calls:view']))
  WHERE "builtin_key" = 'sales_rep';
