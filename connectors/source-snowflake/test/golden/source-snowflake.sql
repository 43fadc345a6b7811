-- The SQL source-snowflake sends (test/source-sql.test.ts; UPDATE_GOLDEN=1 rewrites the cases below this header), as
-- captured by the stand-in. Reviewed against Snowflake's documentation:
--   ALTER SESSION SET TIMEZONE / TIME_OUTPUT_FORMAT / STATEMENT_TIMEOUT_IN_SECONDS: docs.snowflake.com/en/sql-reference/sql/alter-session,
--     docs.snowflake.com/en/sql-reference/parameters
--   CURRENT_WAREHOUSE() / CURRENT_ROLE() / CURRENT_DATABASE(): docs.snowflake.com/en/sql-reference/functions/current_warehouse (…_role, …_database)
--   INFORMATION_SCHEMA SCHEMATA / TABLES (ROW_COUNT) / COLUMNS (DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE,
--     CHARACTER_MAXIMUM_LENGTH, DATETIME_PRECISION): docs.snowflake.com/en/sql-reference/info-schema/tables, …/columns
--   SHOW PRIMARY KEYS IN SCHEMA db.schema (columns table_name, column_name, key_sequence): docs.snowflake.com/en/sql-reference/sql/show-primary-keys
--   identifiers ("quoted" names as written, "" inside): docs.snowflake.com/en/sql-reference/identifiers-syntax
--   string constants (backslash escapes): docs.snowflake.com/en/sql-reference/data-types-text#string-constants
--   CAST(… AS TIMESTAMP_LTZ(9) / NUMBER(38,0)) of ISO 8601 text (AUTO input formats): docs.snowflake.com/en/sql-reference/functions/cast,
--     docs.snowflake.com/en/sql-reference/date-time-input-output
--   ORDER BY … NULLS FIRST: docs.snowflake.com/en/sql-reference/constructs/order-by
--   CAST(OBJECT/ARRAY AS VARIANT): docs.snowflake.com/en/sql-reference/data-type-conversion

-- case: discover (login setup, warehouse/database check, INFORMATION_SCHEMA, keys, a query stream)
ALTER SESSION SET TIMEZONE = 'UTC' TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF6' STATEMENT_TIMEOUT_IN_SECONDS = 3600;
SELECT CURRENT_WAREHOUSE() AS "WAREHOUSE", CURRENT_ROLE() AS "ROLE", CURRENT_DATABASE() AS "DATABASE";
SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE UPPER(SCHEMA_NAME) = UPPER('sales');
SELECT TABLE_NAME, TABLE_TYPE, ROW_COUNT FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'SALES' ORDER BY TABLE_NAME;
SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_MAXIMUM_LENGTH, DATETIME_PRECISION, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SALES' ORDER BY TABLE_NAME, ORDINAL_POSITION;
SHOW PRIMARY KEYS IN SCHEMA "MAGE_TEST_DB"."SALES";
SELECT * FROM (SELECT "ID", "NOTE" FROM "SALES"."ORDERS" WHERE "ID" > 1) AS q LIMIT 0;

-- case: full table resumed after the last committed key
SELECT "ID", "BIG", "AMOUNT", "RATE", "NOTE", "PAID", "DAY", "AT_TIME", "CREATED_NTZ", "UPDATED_AT", "PLACED_TZ", "ATTRS", CAST("META" AS VARIANT) AS "META", CAST("TAGS" AS VARIANT) AS "TAGS", "RAW" FROM "MAGE_TEST_DB"."SALES"."ORDERS" WHERE ("ID" > CAST('2' AS NUMBER(38,0))) ORDER BY "ID" NULLS FIRST;

-- case: incremental continued after a row (replication key, then key)
SELECT "ID", "BIG", "AMOUNT", "RATE", "NOTE", "PAID", "DAY", "AT_TIME", "CREATED_NTZ", "UPDATED_AT", "PLACED_TZ", "ATTRS", CAST("META" AS VARIANT) AS "META", CAST("TAGS" AS VARIANT) AS "TAGS", "RAW" FROM "MAGE_TEST_DB"."SALES"."ORDERS" WHERE (("UPDATED_AT" > CAST('2024-01-03T12:30:00.123456Z' AS TIMESTAMP_LTZ(9))) OR ("UPDATED_AT" = CAST('2024-01-03T12:30:00.123456Z' AS TIMESTAMP_LTZ(9)) AND "ID" > CAST('3' AS NUMBER(38,0)))) ORDER BY "UPDATED_AT", "ID";

-- case: incremental from a bookmark
SELECT "ID", "BIG", "AMOUNT", "RATE", "NOTE", "PAID", "DAY", "AT_TIME", "CREATED_NTZ", "UPDATED_AT", "PLACED_TZ", "ATTRS", CAST("META" AS VARIANT) AS "META", CAST("TAGS" AS VARIANT) AS "TAGS", "RAW" FROM "MAGE_TEST_DB"."SALES"."ORDERS" WHERE "UPDATED_AT" >= CAST('2024-01-02T00:00:00Z' AS TIMESTAMP_LTZ(9)) ORDER BY "UPDATED_AT", "ID";
