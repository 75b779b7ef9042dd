CREATE TABLE "outcome_cursor" (
	"name" text PRIMARY KEY NOT NULL,
	"last_id" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prediction_outcomes" (
	"version_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"bar_ts" timestamp with time zone NOT NULL,
	"model_name" text NOT NULL,
	"version" integer NOT NULL,
	"predicted" smallint NOT NULL,
	"confidence" real NOT NULL,
	"shadow" boolean NOT NULL,
	"requests" integer NOT NULL,
	"first_logged_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"dataset_id" integer,
	"realised" smallint,
	"forward_return" double precision,
	"return_after_costs" double precision,
	"note" text,
	CONSTRAINT "prediction_outcomes_version_id_symbol_bar_ts_pk" PRIMARY KEY("version_id","symbol","bar_ts")
);
--> statement-breakpoint
CREATE INDEX "prediction_outcomes_model_idx" ON "prediction_outcomes" USING btree ("model_name","version","bar_ts");--> statement-breakpoint
CREATE INDEX "prediction_outcomes_pending_idx" ON "prediction_outcomes" USING btree ("version_id","symbol") WHERE resolved_at is null;