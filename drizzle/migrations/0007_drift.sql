CREATE TABLE "drift_policies" (
	"model_name" text PRIMARY KEY NOT NULL,
	"policy" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_references" (
	"version_id" uuid PRIMARY KEY NOT NULL,
	"profile" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"version_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text NOT NULL,
	"dataset_drift" boolean NOT NULL,
	"prediction_drift" boolean NOT NULL,
	"accuracy_drift" boolean NOT NULL,
	"drift_share" real,
	"samples" integer NOT NULL,
	"trigger" text NOT NULL,
	"actor" text NOT NULL,
	"body" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "drift_references" ADD CONSTRAINT "drift_references_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "drift_reports_model_idx" ON "drift_reports" USING btree ("model_name","created_at");