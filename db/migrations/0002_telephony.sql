CREATE TABLE "call_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"call_id" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"type" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_records" (
	"call_id" text PRIMARY KEY NOT NULL,
	"direction" text NOT NULL,
	"from_number" text NOT NULL,
	"to_number" text NOT NULL,
	"trunk_id" integer,
	"number_id" integer,
	"agent_id" integer,
	"peer_agent_id" integer,
	"started_at" timestamp (3) with time zone NOT NULL,
	"answered_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"ring_seconds" integer DEFAULT 0 NOT NULL,
	"talk_seconds" integer DEFAULT 0 NOT NULL,
	"disposition" text NOT NULL,
	"reason" text,
	"sip_code" integer,
	"q850_cause" integer,
	"hangup_by" text,
	"recording" text,
	"recording_seconds" double precision
);
--> statement-breakpoint
CREATE TABLE "number_assignments" (
	"id" serial PRIMARY KEY NOT NULL,
	"number_id" integer NOT NULL,
	"user_id" integer,
	"department_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "phone_numbers" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"trunk_id" integer NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"max_calls" integer DEFAULT 0 NOT NULL,
	"min_interval_seconds" integer DEFAULT 0 NOT NULL,
	"daily_cap" integer DEFAULT 0 NOT NULL,
	"same_destination_daily_cap" integer DEFAULT 0 NOT NULL,
	"route_user_id" integer,
	"ring_seconds" integer DEFAULT 30 NOT NULL,
	"fallback_user_id" integer,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trunks" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"port" integer DEFAULT 5060 NOT NULL,
	"transport" text DEFAULT 'udp' NOT NULL,
	"auth_mode" text DEFAULT 'ip' NOT NULL,
	"username" text DEFAULT '' NOT NULL,
	"password" text DEFAULT '' NOT NULL,
	"codecs" text[] DEFAULT '{"alaw","ulaw"}' NOT NULL,
	"max_calls" integer DEFAULT 0 NOT NULL,
	"qualify" boolean DEFAULT true NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "number_assignments" ADD CONSTRAINT "number_assignments_number_id_phone_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."phone_numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_assignments" ADD CONSTRAINT "number_assignments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_assignments" ADD CONSTRAINT "number_assignments_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD CONSTRAINT "phone_numbers_trunk_id_trunks_id_fk" FOREIGN KEY ("trunk_id") REFERENCES "public"."trunks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD CONSTRAINT "phone_numbers_route_user_id_users_id_fk" FOREIGN KEY ("route_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD CONSTRAINT "phone_numbers_fallback_user_id_users_id_fk" FOREIGN KEY ("fallback_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_events_call_idx" ON "call_events" USING btree ("call_id","id");--> statement-breakpoint
CREATE INDEX "call_events_at_idx" ON "call_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "call_records_started_idx" ON "call_records" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "call_records_agent_idx" ON "call_records" USING btree ("agent_id","started_at");--> statement-breakpoint
CREATE INDEX "call_records_number_idx" ON "call_records" USING btree ("number_id","started_at");--> statement-breakpoint
CREATE INDEX "number_assignments_user_idx" ON "number_assignments" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "number_assignments_department_idx" ON "number_assignments" USING btree ("department_id");--> statement-breakpoint
CREATE UNIQUE INDEX "phone_numbers_number_idx" ON "phone_numbers" USING btree ("number");--> statement-breakpoint
CREATE INDEX "phone_numbers_trunk_idx" ON "phone_numbers" USING btree ("trunk_id");--> statement-breakpoint
CREATE UNIQUE INDEX "trunks_name_idx" ON "trunks" USING btree ("name");