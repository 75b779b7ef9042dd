CREATE TABLE "model_aliases" (
	"model_name" text NOT NULL,
	"alias" text NOT NULL,
	"version_id" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "model_aliases_model_name_alias_pk" PRIMARY KEY("model_name","alias")
);
--> statement-breakpoint
CREATE TABLE "promotion_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"revision" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"comment" text,
	"automatic" jsonb,
	"before" jsonb NOT NULL,
	"after" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "promotion_states" (
	"model_name" text PRIMARY KEY NOT NULL,
	"revision" integer DEFAULT 0 NOT NULL,
	"policy" jsonb NOT NULL,
	"shadow" jsonb,
	"canary" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_rollups" (
	"bucket_start" timestamp with time zone NOT NULL,
	"interval_seconds" integer NOT NULL,
	"process_id" text NOT NULL,
	"model_name" text NOT NULL,
	"version" integer NOT NULL,
	"primary_version" integer NOT NULL,
	"requests" integer NOT NULL,
	"agree" integer NOT NULL,
	"errors" integer NOT NULL,
	"confidence_diff_sum" double precision NOT NULL,
	"confidence_abs_diff_sum" double precision NOT NULL,
	"latency_sum_ms" double precision NOT NULL,
	"latency_hist" integer[] NOT NULL,
	"classes" integer[] NOT NULL,
	"primary_classes" integer[] NOT NULL,
	CONSTRAINT "shadow_rollups_interval_seconds_bucket_start_process_id_model_name_version_primary_version_pk" PRIMARY KEY("interval_seconds","bucket_start","process_id","model_name","version","primary_version")
);
--> statement-breakpoint
ALTER TABLE "model_artifacts" ADD COLUMN "test_labels" "bytea";--> statement-breakpoint
ALTER TABLE "model_artifacts" ADD COLUMN "test_times" "bytea";--> statement-breakpoint
ALTER TABLE "prediction_log" ADD COLUMN "shadow" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "promotion_history_model_idx" ON "promotion_history" USING btree ("model_name","id");--> statement-breakpoint
CREATE INDEX "shadow_rollups_model_idx" ON "shadow_rollups" USING btree ("model_name","bucket_start");--> statement-breakpoint
-- The promotion history is append-only: a change to the past is refused by the database itself.
CREATE OR REPLACE FUNCTION so_promotion_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'promotion_history is append-only (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE TRIGGER promotion_history_append_only BEFORE UPDATE OR DELETE ON "promotion_history"
  FOR EACH ROW EXECUTE FUNCTION so_promotion_history_append_only();
--> statement-breakpoint
-- Models that already serve get a champion: the version with the largest share (the lowest version on a tie).
INSERT INTO "model_aliases" ("model_name", "alias", "version_id", "updated_by")
SELECT DISTINCT ON (s.model_name) s.model_name, 'champion', s.version_id, 'migration'
FROM "traffic_splits" s JOIN "model_versions" v ON v.id = s.version_id
ORDER BY s.model_name, s.percent DESC, v.version ASC
ON CONFLICT DO NOTHING;
