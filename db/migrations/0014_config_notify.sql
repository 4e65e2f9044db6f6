-- Routing configuration changes are announced (NOTIFY cc_config, payload: the table), so the
-- call engine serves its look-ups from memory and drops what changed (cti/calls/config-cache.ts).
CREATE OR REPLACE FUNCTION cc_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cc_config', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trunks" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "phone_numbers" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "hotlines" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "ivrs" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "prompts" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "blacklist" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "vip_callers" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
--> statement-breakpoint
CREATE TRIGGER cc_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "settings" FOR EACH STATEMENT EXECUTE FUNCTION cc_config_changed();
