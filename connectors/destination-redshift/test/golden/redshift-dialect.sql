-- The SQL RedshiftDialect and RedshiftConnection write (test/redshift-dialect.test.ts; UPDATE_GOLDEN=1 rewrites the
-- cases below this header). Reviewed against the Amazon Redshift Database Developer Guide
-- (docs.aws.amazon.com/redshift/latest/dg/):
--   CREATE TABLE (r_CREATE_TABLE_NEW.html): IF NOT EXISTS; PRIMARY KEY is informational ("not enforced"); table
--     attributes DISTSTYLE { AUTO | EVEN | KEY | ALL }, DISTKEY ( column ), [COMPOUND | INTERLEAVED] SORTKEY ( … ).
--   CREATE TABLE AS (r_CREATE_TABLE_AS.html): CREATE TEMP TABLE name AS query; a temporary table lives in a
--     session schema and is not schema-qualified.
--   Data types (c_Supported_data_types.html): BIGINT, NUMERIC(p,s) with p <= 38, VARCHAR(n) n <= 65535 bytes, DATE,
--     TIME, TIMESTAMP, TIMESTAMPTZ (microseconds), BOOLEAN, SUPER, VARBYTE. No arrays, JSONB, BYTEA or UUID.
--   ALTER TABLE (r_ALTER_TABLE.html): ADD [COLUMN] (no IF NOT EXISTS), DROP COLUMN, RENAME COLUMN, ALTER COLUMN …
--     TYPE only for VARCHAR lengths.
--   COPY (r_COPY.html, copy-parameters-*.html): FROM 's3://bucket/key-prefix' (every object whose key starts with
--     it), IAM_ROLE 'arn' or ACCESS_KEY_ID/SECRET_ACCESS_KEY[/SESSION_TOKEN], FORMAT AS CSV QUOTE AS '"', DELIMITER,
--     NULL AS '\0' (t_preparing-input-data.html: NUL loads as NULL), GZIP, ROUNDEC (round instead of truncating
--     extra decimal places), REGION, COMPUPDATE OFF, STATUPDATE OFF. Timestamps are written in COPY's default
--     format 'YYYY-MM-DD HH:MI:SS[.US]' (UTC), so no TIMEFORMAT is needed.
--   JSON_PARSE (JSON_PARSE.html) turns JSON text into SUPER; FROM_HEX (r_FROM_HEX.html) hex into VARBYTE;
--     JSON_SERIALIZE SUPER into text; GETDATE() the current time.
--   DELETE … USING, UPDATE … FROM, INSERT … SELECT (r_DELETE.html, r_UPDATE.html, r_INSERT_30.html); the staged
--     upsert as AWS describes it in "Merge by replacing existing rows" (merge-replacing-existing-rows.html) and the
--     update of listed columns by an inner join with the staging table (merge-specify-a-column-list.html).
--   MERGE (r_MERGE.html) is not used: its WHEN MATCHED clause is either UPDATE or DELETE for the whole statement and
--     its source must be a table, so an upsert with CDC hard deletes needs more than one statement anyway.
-- The same statements run against the stand-in (PostgreSQL behind the Redshift proxy, which refuses the
-- PostgreSQL-only forms) in redshift-dialect.test.ts, which checks they do what they promise.

-- case: create schema
CREATE SCHEMA IF NOT EXISTS "raw";

-- case: create table: keyed, DISTKEY and COMPOUND SORTKEY
CREATE TABLE IF NOT EXISTS "raw"."orders" (
  "id" BIGINT NOT NULL,
  "region" VARCHAR(65535) NOT NULL,
  "amount" NUMERIC(38,2),
  "ratio" NUMERIC(38,9),
  "price" NUMERIC(38,2),
  "score" DOUBLE PRECISION,
  "updated_at" TIMESTAMPTZ,
  "local_at" TIMESTAMP,
  "day" DATE,
  "tags" SUPER,
  "attrs" SUPER,
  "blob" VARBYTE,
  "ok" BOOLEAN,
  "select" VARCHAR(65535),
  PRIMARY KEY ("id", "region")
)
DISTSTYLE KEY DISTKEY ("id")
COMPOUND SORTKEY ("updated_at", "id", "region");

-- case: create table: keyless, DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS "raw"."events" (
  "id" BIGINT,
  "region" VARCHAR(65535),
  "amount" NUMERIC(38,2)
)
DISTSTYLE EVEN;

-- case: add column
ALTER TABLE "raw"."orders" ADD COLUMN "note" VARCHAR(65535);

-- case: widen: BIGINT to NUMERIC(38,2)
ALTER TABLE "raw"."orders" ADD COLUMN "id__mage_widened" NUMERIC(38,2);
UPDATE "raw"."orders" SET "id__mage_widened" = CAST("id" AS NUMERIC(38,2));
ALTER TABLE "raw"."orders" DROP COLUMN "id";
ALTER TABLE "raw"."orders" RENAME COLUMN "id__mage_widened" TO "id";

-- case: widen: BOOLEAN to VARCHAR
ALTER TABLE "raw"."orders" ADD COLUMN "ok__mage_widened" VARCHAR(65535);
UPDATE "raw"."orders" SET "ok__mage_widened" = CASE WHEN "ok" THEN 'true' WHEN NOT "ok" THEN 'false' END;
ALTER TABLE "raw"."orders" DROP COLUMN "ok";
ALTER TABLE "raw"."orders" RENAME COLUMN "ok__mage_widened" TO "ok";

-- case: widen: BIGINT to SUPER
ALTER TABLE "raw"."orders" ADD COLUMN "region__mage_widened" SUPER;
UPDATE "raw"."orders" SET "region__mage_widened" = "region";
ALTER TABLE "raw"."orders" DROP COLUMN "region";
ALTER TABLE "raw"."orders" RENAME COLUMN "region__mage_widened" TO "region";

-- case: widen: VARCHAR(256) to VARCHAR(65535) in place
ALTER TABLE "raw"."orders" ALTER COLUMN "region" TYPE VARCHAR(65535);

-- case: create staging (temporary; SUPER staged as text; load order and delete flag)
DROP TABLE IF EXISTS "mage_stage_run1_1";
CREATE TEMP TABLE "mage_stage_run1_1" AS SELECT "id", "region", "amount", CAST(NULL AS VARCHAR(65535)) AS "attrs", CAST(NULL AS BIGINT) AS "_mage_seq", CAST(NULL AS BOOLEAN) AS "_mage_deleted" FROM "raw"."orders" WHERE 1 = 0;

-- case: copy into staging (IAM role)
COPY "mage_stage_run1_1" ("id", "region", "amount", "attrs", "_mage_seq", "_mage_deleted")
FROM 's3://my-bucket/loads/mage-int-redshift/run/mage_stage_run1_1-1.csv.gz'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftCopy'
FORMAT AS CSV QUOTE AS '"' DELIMITER ',' NULL AS '\0' GZIP ROUNDEC REGION 'us-east-1' COMPUPDATE OFF STATUPDATE OFF;

-- case: copy authorization: access keys
ACCESS_KEY_ID 'AKIA…' SECRET_ACCESS_KEY 'secret' SESSION_TOKEN 'token';

-- case: merge: upsert
DELETE FROM "mage_stage_run1_1" WHERE "_mage_seq" NOT IN (SELECT MAX("_mage_seq") FROM "mage_stage_run1_1" GROUP BY "id", "region");
DELETE FROM "raw"."orders" USING "mage_stage_run1_1" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region";
INSERT INTO "raw"."orders" ("id", "region", "amount", "attrs") SELECT "mage_stage_run1_1"."id", "mage_stage_run1_1"."region", "mage_stage_run1_1"."amount", JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1";

-- case: merge: upsert with hard delete
DELETE FROM "mage_stage_run1_1" WHERE "_mage_seq" NOT IN (SELECT MAX("_mage_seq") FROM "mage_stage_run1_1" GROUP BY "id", "region");
DELETE FROM "raw"."orders" USING "mage_stage_run1_1" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region";
INSERT INTO "raw"."orders" ("id", "region", "amount", "attrs") SELECT "mage_stage_run1_1"."id", "mage_stage_run1_1"."region", "mage_stage_run1_1"."amount", JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1" WHERE "mage_stage_run1_1"."_mage_deleted" IS NULL;

-- case: merge: update_only
DELETE FROM "mage_stage_run1_1" WHERE "_mage_seq" NOT IN (SELECT MAX("_mage_seq") FROM "mage_stage_run1_1" GROUP BY "id", "region");
UPDATE "raw"."orders" SET "amount" = "mage_stage_run1_1"."amount", "attrs" = JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region";

-- case: merge: update_only with hard delete
DELETE FROM "mage_stage_run1_1" WHERE "_mage_seq" NOT IN (SELECT MAX("_mage_seq") FROM "mage_stage_run1_1" GROUP BY "id", "region");
DELETE FROM "raw"."orders" USING "mage_stage_run1_1" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region" AND "mage_stage_run1_1"."_mage_deleted" IS NOT NULL;
UPDATE "raw"."orders" SET "amount" = "mage_stage_run1_1"."amount", "attrs" = JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region" AND "mage_stage_run1_1"."_mage_deleted" IS NULL;

-- case: merge: ignore
DELETE FROM "mage_stage_run1_1" WHERE "_mage_seq" NOT IN (SELECT MAX("_mage_seq") FROM "mage_stage_run1_1" GROUP BY "id", "region");
INSERT INTO "raw"."orders" ("id", "region", "amount", "attrs") SELECT "mage_stage_run1_1"."id", "mage_stage_run1_1"."region", "mage_stage_run1_1"."amount", JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1" WHERE NOT EXISTS (SELECT 1 FROM "raw"."orders" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region");

-- case: merge: ignore with hard delete
DELETE FROM "mage_stage_run1_1" WHERE "_mage_seq" NOT IN (SELECT MAX("_mage_seq") FROM "mage_stage_run1_1" GROUP BY "id", "region");
DELETE FROM "raw"."orders" USING "mage_stage_run1_1" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region" AND "mage_stage_run1_1"."_mage_deleted" IS NOT NULL;
INSERT INTO "raw"."orders" ("id", "region", "amount", "attrs") SELECT "mage_stage_run1_1"."id", "mage_stage_run1_1"."region", "mage_stage_run1_1"."amount", JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1" WHERE "mage_stage_run1_1"."_mage_deleted" IS NULL AND NOT EXISTS (SELECT 1 FROM "raw"."orders" WHERE "raw"."orders"."id" = "mage_stage_run1_1"."id" AND "raw"."orders"."region" = "mage_stage_run1_1"."region");

-- case: merge: append
INSERT INTO "raw"."orders" ("id", "region", "amount", "attrs") SELECT "mage_stage_run1_1"."id", "mage_stage_run1_1"."region", "mage_stage_run1_1"."amount", JSON_PARSE("mage_stage_run1_1"."attrs") FROM "mage_stage_run1_1" ORDER BY "mage_stage_run1_1"."_mage_seq";

-- case: activate version: hard
DELETE FROM "raw"."orders" WHERE ("_sdc_table_version" IS NULL OR "_sdc_table_version" < 1700000000000);

-- case: activate version: soft
UPDATE "raw"."orders" SET "_sdc_deleted_at" = GETDATE() WHERE ("_sdc_table_version" IS NULL OR "_sdc_table_version" < 1700000000000) AND "_sdc_deleted_at" IS NULL;

-- case: drop staging
DROP TABLE IF EXISTS "mage_stage_run1_1";
