CREATE TABLE "alert_channels" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_channels_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_channels_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "alert_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" bigint,
	"channel_id" integer NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "alert_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"rule_id" integer NOT NULL,
	"fingerprint" text NOT NULL,
	"status" text NOT NULL,
	"labels" jsonb NOT NULL,
	"annotations" jsonb NOT NULL,
	"value" double precision,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_rules_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"metric" text NOT NULL,
	"comparator" text NOT NULL,
	"threshold" double precision NOT NULL,
	"for_seconds" integer NOT NULL,
	"severity" text DEFAULT 'warning' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"builtin" text,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_name_unique" UNIQUE("name"),
	CONSTRAINT "alert_rules_builtin_unique" UNIQUE("builtin")
);
--> statement-breakpoint
CREATE TABLE "alert_states" (
	"rule_id" integer NOT NULL,
	"fingerprint" text NOT NULL,
	"labels" jsonb NOT NULL,
	"state" text NOT NULL,
	"active_since" timestamp with time zone,
	"fired_at" timestamp with time zone,
	"value" double precision,
	"evaluated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "alert_states_rule_id_fingerprint_pk" PRIMARY KEY("rule_id","fingerprint")
);
--> statement-breakpoint
CREATE TABLE "metric_rollups" (
	"bucket_start" timestamp with time zone NOT NULL,
	"interval_seconds" integer NOT NULL,
	"process_id" text NOT NULL,
	"model_name" text NOT NULL,
	"version" integer NOT NULL,
	"requests" integer NOT NULL,
	"errors_4xx" integer NOT NULL,
	"errors_5xx" integer NOT NULL,
	"cache_hits" integer NOT NULL,
	"cache_misses" integer NOT NULL,
	"imputed" integer NOT NULL,
	"low_confidence" integer NOT NULL,
	"latency_sum_ms" double precision NOT NULL,
	"latency_hist" integer[] NOT NULL,
	"batch_hist" integer[] NOT NULL,
	"confidence_hist" integer[] NOT NULL,
	"classes" integer[] NOT NULL,
	"symbols" jsonb NOT NULL,
	CONSTRAINT "metric_rollups_interval_seconds_bucket_start_process_id_model_name_version_pk" PRIMARY KEY("interval_seconds","bucket_start","process_id","model_name","version")
);
--> statement-breakpoint
CREATE TABLE "process_samples" (
	"at" timestamp with time zone NOT NULL,
	"process_id" text NOT NULL,
	"kind" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"cpu_percent" real NOT NULL,
	"rss_bytes" bigint NOT NULL,
	"heap_used_bytes" bigint NOT NULL,
	"heap_total_bytes" bigint NOT NULL,
	"system_memory_percent" real NOT NULL,
	"event_loop_p99_ms" real NOT NULL,
	"open_connections" integer,
	CONSTRAINT "process_samples_process_id_at_pk" PRIMARY KEY("process_id","at")
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_id_alert_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."alert_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_channel_id_alert_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."alert_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_states" ADD CONSTRAINT "alert_states_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_deliveries_due_idx" ON "alert_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "alert_events_created_idx" ON "alert_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "metric_rollups_model_idx" ON "metric_rollups" USING btree ("model_name","interval_seconds","bucket_start");--> statement-breakpoint
CREATE INDEX "process_samples_at_idx" ON "process_samples" USING btree ("at");--> statement-breakpoint
-- Element-wise sums of histogram arrays and per-key sums of count objects: roll-ups from several processes and
-- intervals add up (used by upserts and by the aggregates below).
CREATE OR REPLACE FUNCTION so_int_array_add(a integer[], b integer[]) RETURNS integer[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
    (SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)) END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION so_jsonb_count_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
    coalesce((SELECT jsonb_object_agg(k, v) FROM (
      SELECT k, sum(v::numeric) AS v FROM (
        SELECT key AS k, value AS v FROM jsonb_each_text(a) UNION ALL SELECT key, value FROM jsonb_each_text(b)
      ) u GROUP BY k) s), '{}'::jsonb) END
$$;
--> statement-breakpoint
CREATE AGGREGATE so_int_array_sum(integer[]) (SFUNC = so_int_array_add, STYPE = integer[]);
--> statement-breakpoint
CREATE AGGREGATE so_jsonb_count_sum(jsonb) (SFUNC = so_jsonb_count_add, STYPE = jsonb);
