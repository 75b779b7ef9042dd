CREATE TABLE "symbol_defaults" (
	"symbol" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "symbols" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "any_symbol" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Existing models serve the symbols their versions were trained on.
UPDATE "models" m SET "symbols" = coalesce((
  SELECT array_agg(DISTINCT upper(v."lineage"->'dataset'->'dataset'->>'symbol'))
  FROM "model_versions" v
  WHERE v."model_id" = m."id" AND v."lineage"->'dataset'->'dataset'->>'symbol' IS NOT NULL
), '{}'::text[]);
