CREATE TABLE "stats_agent_calls" (
	"grain" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"agent_id" integer NOT NULL,
	"direction" text NOT NULL,
	"group_id" integer NOT NULL,
	"rang" bigint DEFAULT 0 NOT NULL,
	"answered" bigint DEFAULT 0 NOT NULL,
	"no_answer" bigint DEFAULT 0 NOT NULL,
	"talk_sum" bigint DEFAULT 0 NOT NULL,
	"hold_sum" bigint DEFAULT 0 NOT NULL,
	"wrap_sum" bigint DEFAULT 0 NOT NULL,
	"transfers" bigint DEFAULT 0 NOT NULL,
	"conferences" bigint DEFAULT 0 NOT NULL,
	"quick_hangups" bigint DEFAULT 0 NOT NULL,
	"rated" bigint DEFAULT 0 NOT NULL,
	"satisfied" bigint DEFAULT 0 NOT NULL,
	"score_1" bigint DEFAULT 0 NOT NULL,
	"score_2" bigint DEFAULT 0 NOT NULL,
	"score_3" bigint DEFAULT 0 NOT NULL,
	"score_4" bigint DEFAULT 0 NOT NULL,
	"score_5" bigint DEFAULT 0 NOT NULL,
	"out_attempts" bigint DEFAULT 0 NOT NULL,
	"out_connects" bigint DEFAULT 0 NOT NULL,
	"out_effective" bigint DEFAULT 0 NOT NULL,
	"out_talk_sum" bigint DEFAULT 0 NOT NULL,
	"out_no_answer" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_agent_calls_grain_bucket_agent_id_direction_group_id_pk" PRIMARY KEY("grain","bucket","agent_id","direction","group_id")
);
--> statement-breakpoint
CREATE TABLE "stats_agent_facts" (
	"call_id" text NOT NULL,
	"agent_id" integer NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"direction" text NOT NULL,
	"group_id" integer DEFAULT 0 NOT NULL,
	"rang" integer DEFAULT 0 NOT NULL,
	"answered" boolean DEFAULT false NOT NULL,
	"placed" boolean DEFAULT false NOT NULL,
	"talk_seconds" integer DEFAULT 0 NOT NULL,
	"hold_seconds" integer DEFAULT 0 NOT NULL,
	"wrap_seconds" integer DEFAULT 0 NOT NULL,
	"transfers" integer DEFAULT 0 NOT NULL,
	"conference" boolean DEFAULT false NOT NULL,
	"caller_hung_up" boolean DEFAULT false NOT NULL,
	"survey_score" integer,
	"survey_levels" integer,
	CONSTRAINT "stats_agent_facts_call_id_agent_id_pk" PRIMARY KEY("call_id","agent_id")
);
--> statement-breakpoint
CREATE TABLE "stats_agent_time" (
	"grain" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"agent_id" integer NOT NULL,
	"state" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"seconds" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_agent_time_grain_bucket_agent_id_state_reason_pk" PRIMARY KEY("grain","bucket","agent_id","state","reason")
);
--> statement-breakpoint
CREATE TABLE "stats_attendance" (
	"day" timestamp with time zone NOT NULL,
	"agent_id" integer NOT NULL,
	"first_login" timestamp (3) with time zone,
	"last_logout" timestamp (3) with time zone,
	CONSTRAINT "stats_attendance_day_agent_id_pk" PRIMARY KEY("day","agent_id")
);
--> statement-breakpoint
CREATE TABLE "stats_call_facts" (
	"call_id" text PRIMARY KEY NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"direction" text NOT NULL,
	"group_id" integer DEFAULT 0 NOT NULL,
	"agent_id" integer DEFAULT 0 NOT NULL,
	"number_id" integer DEFAULT 0 NOT NULL,
	"business_type_id" integer DEFAULT 0 NOT NULL,
	"region" text DEFAULT '' NOT NULL,
	"customer_number" text DEFAULT '' NOT NULL,
	"offered" boolean DEFAULT false NOT NULL,
	"answered" boolean DEFAULT false NOT NULL,
	"outcome" text DEFAULT '' NOT NULL,
	"wait_seconds" integer DEFAULT 0 NOT NULL,
	"talk_seconds" integer DEFAULT 0 NOT NULL,
	"hold_seconds" integer DEFAULT 0 NOT NULL,
	"wrap_seconds" integer DEFAULT 0 NOT NULL,
	"transfers" integer DEFAULT 0 NOT NULL,
	"max_parties" integer DEFAULT 0 NOT NULL,
	"caller_hung_up" boolean DEFAULT false NOT NULL,
	"repeat_caller" boolean DEFAULT false NOT NULL,
	"survey_score" integer,
	"survey_levels" integer,
	"next_call_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "stats_call_mix" (
	"bucket" timestamp with time zone NOT NULL,
	"group_id" integer NOT NULL,
	"agent_id" integer NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_call_mix_bucket_group_id_agent_id_kind_value_pk" PRIMARY KEY("bucket","group_id","agent_id","kind","value")
);
--> statement-breakpoint
CREATE TABLE "stats_calls" (
	"grain" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"direction" text NOT NULL,
	"group_id" integer NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"offered" bigint DEFAULT 0 NOT NULL,
	"answered" bigint DEFAULT 0 NOT NULL,
	"abandoned" bigint DEFAULT 0 NOT NULL,
	"abandoned_ivr" bigint DEFAULT 0 NOT NULL,
	"abandoned_queue" bigint DEFAULT 0 NOT NULL,
	"abandoned_ringing" bigint DEFAULT 0 NOT NULL,
	"short_abandoned" bigint DEFAULT 0 NOT NULL,
	"unserved" bigint DEFAULT 0 NOT NULL,
	"callbacks" bigint DEFAULT 0 NOT NULL,
	"answered_in_sl" bigint DEFAULT 0 NOT NULL,
	"wait_sum" bigint DEFAULT 0 NOT NULL,
	"wait_max" bigint DEFAULT 0 NOT NULL,
	"answer_wait_sum" bigint DEFAULT 0 NOT NULL,
	"talk_sum" bigint DEFAULT 0 NOT NULL,
	"hold_sum" bigint DEFAULT 0 NOT NULL,
	"wrap_sum" bigint DEFAULT 0 NOT NULL,
	"transfers" bigint DEFAULT 0 NOT NULL,
	"conferences" bigint DEFAULT 0 NOT NULL,
	"quick_hangups" bigint DEFAULT 0 NOT NULL,
	"repeat_calls" bigint DEFAULT 0 NOT NULL,
	"fcr_repeated" bigint DEFAULT 0 NOT NULL,
	"rated" bigint DEFAULT 0 NOT NULL,
	"satisfied" bigint DEFAULT 0 NOT NULL,
	"score_1" bigint DEFAULT 0 NOT NULL,
	"score_2" bigint DEFAULT 0 NOT NULL,
	"score_3" bigint DEFAULT 0 NOT NULL,
	"score_4" bigint DEFAULT 0 NOT NULL,
	"score_5" bigint DEFAULT 0 NOT NULL,
	"out_attempts" bigint DEFAULT 0 NOT NULL,
	"out_connects" bigint DEFAULT 0 NOT NULL,
	"out_effective" bigint DEFAULT 0 NOT NULL,
	"out_talk_sum" bigint DEFAULT 0 NOT NULL,
	"out_no_answer" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_calls_grain_bucket_direction_group_id_pk" PRIMARY KEY("grain","bucket","direction","group_id")
);
--> statement-breakpoint
CREATE TABLE "stats_dirty" (
	"call_id" text PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stats_ivr" (
	"grain" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"ivr_id" integer NOT NULL,
	"node" text NOT NULL,
	"visits" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_ivr_grain_bucket_ivr_id_node_pk" PRIMARY KEY("grain","bucket","ivr_id","node")
);
--> statement-breakpoint
CREATE TABLE "stats_ivr_facts" (
	"call_id" text NOT NULL,
	"ivr_id" integer NOT NULL,
	"node" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"visits" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_ivr_facts_call_id_ivr_id_node_pk" PRIMARY KEY("call_id","ivr_id","node")
);
--> statement-breakpoint
ALTER TABLE "call_records" ADD COLUMN "wait_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "stats_agent_facts_started_idx" ON "stats_agent_facts" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "stats_call_facts_started_idx" ON "stats_call_facts" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "stats_call_facts_customer_idx" ON "stats_call_facts" USING btree ("customer_number","started_at");--> statement-breakpoint
-- Calls recorded before this release: the wait as close as their record tells it.
UPDATE "call_records" SET "wait_seconds" = CASE WHEN "group_id" IS NOT NULL THEN "queue_seconds" ELSE "ring_seconds" END;
--> statement-breakpoint
-- Every ended call is counted by the statistics maintainer at its next start.
INSERT INTO "stats_dirty" ("call_id") SELECT "call_id" FROM "call_records" WHERE "ended_at" IS NOT NULL;
--> statement-breakpoint
-- Editing the statistics rules is new: owners and administrators get it.
UPDATE "roles" SET "permissions" = array_append("permissions", 'reports:edit')
  WHERE "builtin_key" IN ('owner', 'admin') AND NOT ('reports:edit' = ANY("permissions"));
--> statement-breakpoint
-- Agents and sales representatives read their own figures in the reports (their data scope
-- keeps them to their own rows).
UPDATE "roles" SET "permissions" = array_append("permissions", 'reports:view')
  WHERE "builtin_key" IN ('agent', 'sales_rep') AND NOT ('reports:view' = ANY("permissions"));
