CREATE TABLE "business_types" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"builtin_key" text,
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_prompt_refs" (
	"group_id" integer NOT NULL,
	"prompt_id" integer NOT NULL,
	CONSTRAINT "group_prompt_refs_group_id_prompt_id_pk" PRIMARY KEY("group_id","prompt_id")
);
--> statement-breakpoint
CREATE TABLE "monitoring_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"supervisor_id" integer NOT NULL,
	"agent_id" integer NOT NULL,
	"call_id" text,
	"action" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "queue_callbacks" (
	"id" serial PRIMARY KEY NOT NULL,
	"call_id" text NOT NULL,
	"group_id" integer NOT NULL,
	"number" text NOT NULL,
	"number_id" integer,
	"joined_at" timestamp (3) with time zone NOT NULL,
	"vip" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'waiting' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone,
	"last_call_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "region_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"province" text NOT NULL,
	"city" text DEFAULT '' NOT NULL,
	"group_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_group_members" ADD COLUMN "penalty" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_groups" ADD COLUMN "leader_id" integer;--> statement-breakpoint
ALTER TABLE "agent_groups" ADD COLUMN "queue" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "group_id" integer;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "queue_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "hold_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "transfers" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "max_parties" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "survey_score" integer;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "survey_levels" integer;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "business_type_id" integer;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "vip" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "repeat_caller" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "region" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "callback_of" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "auto_answer" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "group_prompt_refs" ADD CONSTRAINT "group_prompt_refs_group_id_agent_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."agent_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_prompt_refs" ADD CONSTRAINT "group_prompt_refs_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "monitoring_log" ADD CONSTRAINT "monitoring_log_supervisor_id_users_id_fk" FOREIGN KEY ("supervisor_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "monitoring_log" ADD CONSTRAINT "monitoring_log_agent_id_users_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "queue_callbacks" ADD CONSTRAINT "queue_callbacks_group_id_agent_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."agent_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "queue_callbacks" ADD CONSTRAINT "queue_callbacks_number_id_phone_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."phone_numbers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "region_rules" ADD CONSTRAINT "region_rules_group_id_agent_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."agent_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "business_types_code_idx" ON "business_types" USING btree ("code");--> statement-breakpoint
CREATE INDEX "group_prompt_refs_prompt_idx" ON "group_prompt_refs" USING btree ("prompt_id");--> statement-breakpoint
CREATE INDEX "monitoring_log_started_idx" ON "monitoring_log" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "queue_callbacks_status_idx" ON "queue_callbacks" USING btree ("status","joined_at");--> statement-breakpoint
CREATE UNIQUE INDEX "region_rules_place_idx" ON "region_rules" USING btree ("province","city");--> statement-breakpoint
ALTER TABLE "agent_groups" ADD CONSTRAINT "agent_groups_leader_id_users_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
INSERT INTO "business_types" ("code", "builtin_key", "name", "position") VALUES
  ('consult', 'consult', 'Enquiry', 1), ('complaint', 'complaint', 'Complaint', 2),
  ('after_sales', 'after_sales', 'After-sales service', 3), ('order', 'order', 'Order', 4),
  ('other', 'other', 'Other', 5);
