-- The SQL SnowflakeDialect writes (test/snowflake-dialect.test.ts; UPDATE_GOLDEN=1 rewrites the cases below this
-- header). Reviewed against Snowflake's documentation:
--   identifiers (unquoted names resolve upper-cased; "quoted" names as written): docs.snowflake.com/en/sql-reference/identifiers-syntax
--   string constants (backslash escapes, '' for a quote): docs.snowflake.com/en/sql-reference/data-types-text#string-constants
--   CREATE TABLE / constraints (declared, not enforced): docs.snowflake.com/en/sql-reference/sql/create-table, .../constraints-overview
--   ALTER TABLE … ADD COLUMN IF NOT EXISTS / RENAME COLUMN / DROP COLUMN: docs.snowflake.com/en/sql-reference/sql/alter-table-column
--   CREATE TEMPORARY TABLE … AS SELECT: docs.snowflake.com/en/sql-reference/sql/create-table#create-table-as-select-also-referred-to-as-ctas
--   PUT (AUTO_COMPRESS, SOURCE_COMPRESSION, OVERWRITE; table stages @%t): docs.snowflake.com/en/sql-reference/sql/put
--   COPY INTO <table> with a transformation ($n, PARSE_JSON), FILES, FILE_FORMAT (CSV options), PURGE:
--     docs.snowflake.com/en/sql-reference/sql/copy-into-table, docs.snowflake.com/en/sql-reference/sql/create-file-format
--   MERGE (one source row per target row: the last per key by ROW_NUMBER): docs.snowflake.com/en/sql-reference/sql/merge
--   Data types (NUMBER(p,s), TIMESTAMP_TZ(9), VARIANT, BINARY): docs.snowflake.com/en/sql-reference/intro-summary-data-types

-- case: create schema
CREATE SCHEMA IF NOT EXISTS "RAW";

-- case: create table: keyed
CREATE TABLE IF NOT EXISTS "RAW"."ORDERS" (
  "ID" NUMBER(38,0) NOT NULL,
  "REGION" VARCHAR NOT NULL,
  "AMOUNT" NUMBER(38,2),
  "RATIO" NUMBER(38,9),
  "PRICE" NUMBER(38,2),
  "UPDATED_AT" TIMESTAMP_TZ(9),
  "LOCAL_AT" TIMESTAMP_NTZ(9),
  "DAY" DATE,
  "TAGS" VARIANT,
  "ATTRS" VARIANT,
  "BLOB" BINARY,
  "OK" BOOLEAN,
  "SELECT" VARCHAR,
  PRIMARY KEY ("ID", "REGION")
);

-- case: create table: keyless
CREATE TABLE IF NOT EXISTS "RAW"."EVENTS" (
  "ID" NUMBER(38,0),
  "REGION" VARCHAR,
  "AMOUNT" NUMBER(38,2)
);

-- case: add column
ALTER TABLE "RAW"."ORDERS" ADD COLUMN IF NOT EXISTS "NOTE" VARCHAR;

-- case: widen: NUMBER(38,0) to NUMBER(38,2) (a scale cannot change in place)
ALTER TABLE "RAW"."ORDERS" ADD COLUMN "ID__MAGE_WIDENED" NUMBER(38,2);
UPDATE "RAW"."ORDERS" SET "ID__MAGE_WIDENED" = CAST("ID" AS NUMBER(38,2));
ALTER TABLE "RAW"."ORDERS" DROP COLUMN "ID";
ALTER TABLE "RAW"."ORDERS" RENAME COLUMN "ID__MAGE_WIDENED" TO "ID";

-- case: widen: BOOLEAN to VARCHAR
ALTER TABLE "RAW"."ORDERS" ADD COLUMN "OK__MAGE_WIDENED" VARCHAR;
UPDATE "RAW"."ORDERS" SET "OK__MAGE_WIDENED" = CAST("OK" AS VARCHAR);
ALTER TABLE "RAW"."ORDERS" DROP COLUMN "OK";
ALTER TABLE "RAW"."ORDERS" RENAME COLUMN "OK__MAGE_WIDENED" TO "OK";

-- case: widen: NUMBER(38,0) to VARIANT
ALTER TABLE "RAW"."ORDERS" ADD COLUMN "REGION__MAGE_WIDENED" VARIANT;
UPDATE "RAW"."ORDERS" SET "REGION__MAGE_WIDENED" = TO_VARIANT("REGION");
ALTER TABLE "RAW"."ORDERS" DROP COLUMN "REGION";
ALTER TABLE "RAW"."ORDERS" RENAME COLUMN "REGION__MAGE_WIDENED" TO "REGION";

-- case: create staging (temporary, the staged columns, load order and delete flag)
CREATE OR REPLACE TEMPORARY TABLE "RAW"."_MAGE_STAGE_RUN1_1" AS SELECT "ID", "REGION", "AMOUNT", "ATTRS", CAST(NULL AS NUMBER(38,0)) AS "_MAGE_SEQ", CAST(NULL AS BOOLEAN) AS "_MAGE_DELETED" FROM "RAW"."ORDERS" WHERE 1 = 0;

-- case: put to the table stage
PUT 'file:///tmp/mage-int-snowflake-x/rows.csv.gz' @"RAW".%"_MAGE_STAGE_RUN1_1" AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE;

-- case: copy into staging
COPY INTO "RAW"."_MAGE_STAGE_RUN1_1" ("ID", "REGION", "AMOUNT", "ATTRS", "_MAGE_SEQ", "_MAGE_DELETED")
FROM (SELECT $1, $2, $3, PARSE_JSON($4), $5, $6 FROM @"RAW".%"_MAGE_STAGE_RUN1_1")
FILES = ('rows.csv.gz')
FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE = NONE ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = () COMPRESSION = GZIP BINARY_FORMAT = HEX ENCODING = 'UTF8')
ON_ERROR = ABORT_STATEMENT
PURGE = TRUE;

-- case: merge: upsert
MERGE INTO "RAW"."ORDERS" AS t USING (SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "ID", "REGION" ORDER BY "_MAGE_SEQ" DESC) AS "_MAGE_RANK" FROM "RAW"."_MAGE_STAGE_RUN1_1") ranked WHERE "_MAGE_RANK" = 1) AS s ON t."ID" = s."ID" AND t."REGION" = s."REGION"
WHEN MATCHED THEN UPDATE SET "AMOUNT" = s."AMOUNT"
WHEN NOT MATCHED THEN INSERT ("ID", "REGION", "AMOUNT") VALUES (s."ID", s."REGION", s."AMOUNT");

-- case: merge: upsert with hard delete
MERGE INTO "RAW"."ORDERS" AS t USING (SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "ID", "REGION" ORDER BY "_MAGE_SEQ" DESC) AS "_MAGE_RANK" FROM "RAW"."_MAGE_STAGE_RUN1_1") ranked WHERE "_MAGE_RANK" = 1) AS s ON t."ID" = s."ID" AND t."REGION" = s."REGION"
WHEN MATCHED AND s."_MAGE_DELETED" IS NOT NULL THEN DELETE
WHEN MATCHED THEN UPDATE SET "AMOUNT" = s."AMOUNT"
WHEN NOT MATCHED AND s."_MAGE_DELETED" IS NULL THEN INSERT ("ID", "REGION", "AMOUNT") VALUES (s."ID", s."REGION", s."AMOUNT");

-- case: merge: update_only
MERGE INTO "RAW"."ORDERS" AS t USING (SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "ID", "REGION" ORDER BY "_MAGE_SEQ" DESC) AS "_MAGE_RANK" FROM "RAW"."_MAGE_STAGE_RUN1_1") ranked WHERE "_MAGE_RANK" = 1) AS s ON t."ID" = s."ID" AND t."REGION" = s."REGION"
WHEN MATCHED THEN UPDATE SET "AMOUNT" = s."AMOUNT";

-- case: merge: ignore
MERGE INTO "RAW"."ORDERS" AS t USING (SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "ID", "REGION" ORDER BY "_MAGE_SEQ" DESC) AS "_MAGE_RANK" FROM "RAW"."_MAGE_STAGE_RUN1_1") ranked WHERE "_MAGE_RANK" = 1) AS s ON t."ID" = s."ID" AND t."REGION" = s."REGION"
WHEN NOT MATCHED THEN INSERT ("ID", "REGION", "AMOUNT") VALUES (s."ID", s."REGION", s."AMOUNT");

-- case: merge: append
INSERT INTO "RAW"."ORDERS" ("ID", "REGION", "AMOUNT") SELECT "ID", "REGION", "AMOUNT" FROM "RAW"."_MAGE_STAGE_RUN1_1" ORDER BY "_MAGE_SEQ";

-- case: activate version: hard
DELETE FROM "RAW"."ORDERS" WHERE ("_SDC_TABLE_VERSION" IS NULL OR "_SDC_TABLE_VERSION" < 1700000000000);

-- case: activate version: soft
UPDATE "RAW"."ORDERS" SET "_SDC_DELETED_AT" = CURRENT_TIMESTAMP WHERE ("_SDC_TABLE_VERSION" IS NULL OR "_SDC_TABLE_VERSION" < 1700000000000) AND "_SDC_DELETED_AT" IS NULL;

-- case: drop staging
DROP TABLE IF EXISTS "RAW"."_MAGE_STAGE_RUN1_1";
