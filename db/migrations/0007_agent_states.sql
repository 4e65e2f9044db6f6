CREATE TABLE "agent_state_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"state" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"by_user_id" integer
);
--> statement-breakpoint
CREATE TABLE "break_reasons" (
	"id" serial PRIMARY KEY NOT NULL,
	"builtin_key" text,
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_state_events" ADD CONSTRAINT "agent_state_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_state_events" ADD CONSTRAINT "agent_state_events_by_user_id_users_id_fk" FOREIGN KEY ("by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_state_events_user_idx" ON "agent_state_events" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "agent_state_events_at_idx" ON "agent_state_events" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "break_reasons_name_idx" ON "break_reasons" USING btree ("name");--> statement-breakpoint
INSERT INTO "break_reasons" ("builtin_key", "name", "position") VALUES
  ('meeting', 'Meeting', 1), ('training', 'Training', 2), ('rest', 'Rest', 3),
  ('restroom', 'Restroom', 4), ('other', 'Other', 5);
