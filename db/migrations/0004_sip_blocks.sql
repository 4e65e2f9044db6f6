CREATE TABLE "sip_blocks" (
	"id" serial PRIMARY KEY NOT NULL,
	"ip" text NOT NULL,
	"reason" text NOT NULL,
	"failures" integer NOT NULL,
	"accounts" text[] DEFAULT '{}' NOT NULL,
	"blocked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"until" timestamp with time zone NOT NULL,
	"lifted_at" timestamp with time zone,
	"lifted_by" integer
);
--> statement-breakpoint
ALTER TABLE "sip_blocks" ADD CONSTRAINT "sip_blocks_lifted_by_users_id_fk" FOREIGN KEY ("lifted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sip_blocks_until_idx" ON "sip_blocks" USING btree ("until");