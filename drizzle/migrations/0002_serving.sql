CREATE TABLE "prediction_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"model_name" text NOT NULL,
	"version_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"symbol" text NOT NULL,
	"bar_time" timestamp with time zone,
	"input_hash" text NOT NULL,
	"direction" text NOT NULL,
	"confidence" real NOT NULL,
	"probabilities" real[] NOT NULL,
	"latency_ms" real NOT NULL,
	"cache_hit" boolean NOT NULL,
	"imputed" text[] NOT NULL,
	"steps_real" integer NOT NULL,
	"features" real[],
	"served_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "serving_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "symbol_snapshots" (
	"symbol" text NOT NULL,
	"bar_time" timestamp with time zone NOT NULL,
	"features" double precision[] NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "symbol_snapshots_symbol_bar_time_pk" PRIMARY KEY("symbol","bar_time")
);
--> statement-breakpoint
CREATE TABLE "traffic_splits" (
	"model_name" text NOT NULL,
	"version_id" uuid NOT NULL,
	"percent" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "traffic_splits_model_name_version_id_pk" PRIMARY KEY("model_name","version_id")
);
--> statement-breakpoint
ALTER TABLE "traffic_splits" ADD CONSTRAINT "traffic_splits_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "prediction_log_model_at_idx" ON "prediction_log" USING btree ("model_name","at");--> statement-breakpoint
CREATE INDEX "prediction_log_symbol_bar_idx" ON "prediction_log" USING btree ("symbol","bar_time");