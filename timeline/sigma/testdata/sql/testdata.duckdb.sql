-- trailcase Sigma rules as DuckDB SQL over a Parquet export (trailcase export --format parquet),
-- columns as in docs/export-schema.md (schema version 1). Name the export's directory first:
--   SET VARIABLE trailcase_export = '/path/to/export';
-- Each query returns one row per match (detection rules) or per group (correlation rules).
CREATE OR REPLACE TEMP VIEW trailcase_events AS
SELECT * FROM read_parquet(getvariable('trailcase_export') || '/**/*.parquet', hive_partitioning = true, hive_types_autocast = false);

-- rule aggregation base of 00000000-0000-4000-8000-000000000401 (distinct discovery calls by one principal (aggregation, top-level timeframe) (events counted)) is a base rule of 00000000-0000-4000-8000-000000000401: it is part of that query.

-- rule aggregation base of 00000000-0000-4000-8000-000000000402 (many secret reads, whole case (aggregation without a timeframe, timeframe in detection elsewhere) (events counted)) is a base rule of 00000000-0000-4000-8000-000000000402: it is part of that query.

-- rule aggregation base of 00000000-0000-4000-8000-000000000403 (aggregation with the timeframe inside detection (events counted)) is a base rule of 00000000-0000-4000-8000-000000000403: it is part of that query.

-- rule 00000000-0000-4000-8000-000000000404: a logsource naming an AWS service reads that service's CloudTrail events [low] (detection, rules/aggregations.yml)
SELECT '00000000-0000-4000-8000-000000000404' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND COALESCE(lower(event_source) = 'ec2.amazonaws.com', FALSE)
  AND COALESCE(lower(action) = 'createroute', FALSE)
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000101: all of a pattern, parentheses and or [low] (detection, rules/conditions.yml)
SELECT '00000000-0000-4000-8000-000000000101' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (((COALESCE(lower(action) = 'deletetrail', FALSE) AND COALESCE(lower(event_source) = 'cloudtrail.amazonaws.com', FALSE)) OR COALESCE(lower(action) = 'stoplogging', FALSE)) AND NOT COALESCE(lower(principal_type) = 'awsservice', FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000102: 1 of them and all of them [low] (detection, rules/conditions.yml)
SELECT '00000000-0000-4000-8000-000000000102' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(action) = 'getobject', FALSE) AND COALESCE(lower(json_extract_string(raw, '$.requestParameters.bucketName')) = 'logs', FALSE)) OR ((COALESCE(lower(action) = 'getobject', FALSE) OR COALESCE(lower(json_extract_string(raw, '$.requestParameters.bucketName')) = 'logs', FALSE)) AND NOT COALESCE(lower(action) = 'nothing-matches-this', FALSE)))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000201 (secret read) is a base rule of 00000000-0000-4000-8000-000000000202, 00000000-0000-4000-8000-000000000209: it is part of that query.

-- rule 00000000-0000-4000-8000-000000000203 (rejected flow) is a base rule of 00000000-0000-4000-8000-000000000204: it is part of that query.

-- rule 00000000-0000-4000-8000-000000000205 (trail stopped) is a base rule of 00000000-0000-4000-8000-000000000207: it is part of that query.

-- rule 00000000-0000-4000-8000-000000000206 (bucket emptied) is a base rule of 00000000-0000-4000-8000-000000000207: it is part of that query.

-- rule 00000000-0000-4000-8000-000000000001: Plain values are case-insensitive and lists are alternatives [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000001' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'iam.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('createuser', 'deleteuser'), FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000002: contains startswith endswith and wildcards [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000002' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(user_agent) LIKE '%boto3%' ESCAPE '\', FALSE) AND COALESCE(lower(action) LIKE 'describe%' ESCAPE '\', FALSE) AND COALESCE(lower(json_extract_string(raw, '$.requestParameters.name')) LIKE '%-prod' ESCAPE '\', FALSE) AND COALESCE(lower(json_extract_string(raw, '$.awsRegion')) LIKE 'eu-%-_' ESCAPE '\', FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000003: escaped wildcard is literal [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000003' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND COALESCE(lower(json_extract_string(raw, '$.requestParameters.key')) = 'a*b', FALSE)
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000004: re is case-sensitive unless i [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000004' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(regexp_matches(action, '^Put(Bucket)?Policy$'), FALSE) AND COALESCE(regexp_matches(user_agent, '(?i)KALI|parrot'), FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000005: all needs every value [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000005' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(json_extract_string(raw, '$.requestParameters.policyDocument')) LIKE '%"effect":"allow"%' ESCAPE '\', FALSE) AND COALESCE(lower(json_extract_string(raw, '$.requestParameters.policyDocument')) LIKE '%"action":"*"%' ESCAPE '\', FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000006: cidr and not [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000006' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(action) = 'consolelogin', FALSE) AND NOT (COALESCE((regexp_matches(src_ip, '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$') AND split_part(src_ip, '.', 1) = '10'), FALSE) OR COALESCE((regexp_matches(src_ip, '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$') AND split_part(src_ip, '.', 1) = '192' AND split_part(src_ip, '.', 2) = '168'), FALSE)))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000007: exists and null [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000007' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (json_extract_string(raw, '$.errorCode') IS NOT NULL AND json_extract_string(raw, '$.additionalEventData.MFAUsed') IS NULL)
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000008: fieldref compares two fields [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000008' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(action) = 'createaccesskey', FALSE) AND NOT COALESCE(json_extract_string(raw, '$.requestParameters.userName') = user_name, FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000009: numeric comparisons [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000009' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'vpcflow'
  AND ((COALESCE(bytes > 1e+06, FALSE) AND COALESCE(packets >= 100, FALSE)) AND (COALESCE(dst_port < 1024, FALSE) AND COALESCE(src_port <= 65535, FALSE)))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000010: base64 base64offset and windash [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000010' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(json_extract_string(raw, '$.requestParameters.userData')) = 'y3vybcbodhrwoi8vea==', FALSE) OR COALESCE((lower(json_extract_string(raw, '$.requestParameters.userData')) LIKE '%d2dldc%' ESCAPE '\' OR lower(json_extract_string(raw, '$.requestParameters.userData')) LIKE '%dnzxqg%' ESCAPE '\' OR lower(json_extract_string(raw, '$.requestParameters.userData')) LIKE '%3z2v0i%' ESCAPE '\'), FALSE)) OR COALESCE((lower(json_extract_string(raw, '$.requestParameters.commandLine')) LIKE '% -enc %' ESCAPE '\' OR lower(json_extract_string(raw, '$.requestParameters.commandLine')) LIKE '% /enc %' ESCAPE '\' OR lower(json_extract_string(raw, '$.requestParameters.commandLine')) LIKE '% –enc %' ESCAPE '\' OR lower(json_extract_string(raw, '$.requestParameters.commandLine')) LIKE '% —enc %' ESCAPE '\' OR lower(json_extract_string(raw, '$.requestParameters.commandLine')) LIKE '% ―enc %' ESCAPE '\'), FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000011: keywords search the record [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000011' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'elb'
  AND (COALESCE(lower(raw) LIKE '%sqlmap%' ESCAPE '\', FALSE) OR COALESCE(lower(raw) LIKE '%/etc/passwd%' ESCAPE '\', FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000012: lists of maps and trailcase fields [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000012' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE ((COALESCE(lower(source) = 'elb', FALSE) AND COALESCE(lower(outcome) LIKE '5%' ESCAPE '\', FALSE)) OR (COALESCE(lower(source) = 'vpcflow', FALSE) AND COALESCE(lower(action) = 'reject', FALSE)))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000013: arrays are searched element by element [low] (detection, rules/modifiers.yml)
SELECT '00000000-0000-4000-8000-000000000013' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(action) = 'authorizesecuritygroupingress', FALSE) AND COALESCE(len(list_filter(json_extract_string(raw, '$.requestParameters.ipPermissions.items[*].ipRanges.items[*].cidrIp'), x -> lower(x) = '0.0.0.0/0')) > 0, FALSE))
ORDER BY "time", evidence, record;

-- rule 00000000-0000-4000-8000-000000000301 (command sent) is a base rule of 00000000-0000-4000-8000-000000000302: it is part of that query.

-- rule 00000000-0000-4000-8000-000000000401: distinct discovery calls by one principal (aggregation, top-level timeframe) [low] (value_count correlation, rules/aggregations.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, action AS v
    FROM trailcase_events
    WHERE source = 'cloudtrail'
      AND (COALESCE(lower(action) LIKE 'list%' ESCAPE '\', FALSE) OR COALESCE(lower(action) LIKE 'describe%' ESCAPE '\', FALSE))
        AND action IS NOT NULL
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS start, len(list_distinct(list(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000401' AS rule, 'low' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 4
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 00000000-0000-4000-8000-000000000402: many secret reads, whole case (aggregation without a timeframe, timeframe in detection elsewhere) [medium] (event_count correlation, rules/aggregations.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'getsecretvalue', FALSE)
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3153600000' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3153600000' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000402' AS rule, 'medium' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 3
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 00000000-0000-4000-8000-000000000403: aggregation with the timeframe inside detection [low] (event_count correlation, rules/aggregations.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'consolelogin', FALSE)
), win AS (
  SELECT t, min(t) OVER (ORDER BY t RANGE BETWEEN INTERVAL '60' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (ORDER BY t RANGE BETWEEN INTERVAL '60' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000403' AS rule, 'low' AS level, min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 3
HAVING count(*) > 0
ORDER BY first_time;

-- rule 00000000-0000-4000-8000-000000000202: many secret reads by one principal [high] (event_count correlation, rules/correlations.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'getsecretvalue', FALSE)
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000202' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 5
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 00000000-0000-4000-8000-000000000204: port scan [medium] (value_count correlation, rules/correlations.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(src_ip, '') AS g0, CAST(dst_port AS VARCHAR) AS v
    FROM trailcase_events
    WHERE source = 'vpcflow'
      AND COALESCE(lower(NULLIF(json_extract_string(fields, '$.action'), '-')) = 'reject', FALSE)
        AND CAST(dst_port AS VARCHAR) IS NOT NULL
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '60' SECOND PRECEDING AND CURRENT ROW) AS start, len(list_distinct(list(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '60' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000204' AS rule, 'medium' AS level, g0 AS "srcaddr", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 10
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 00000000-0000-4000-8000-000000000207: logging stopped then objects deleted, in order [critical] (temporal_ordered correlation, rules/correlations.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(src_ip, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'stoplogging', FALSE)
  UNION ALL
  SELECT "time" AS t, evidence, record, 1 AS r, COALESCE(src_ip, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'deleteobjects', FALSE)
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS start, CASE WHEN r = 1 THEN 1 + max(CASE WHEN r = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) ELSE 0 END AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000207' AS rule, 'critical' AS level, g0 AS "sourceIPAddress", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 2
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 00000000-0000-4000-8000-000000000208: logging stopped and objects deleted, any order [high] (temporal correlation, rules/correlations.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(src_ip, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'stoplogging', FALSE)
  UNION ALL
  SELECT "time" AS t, evidence, record, 1 AS r, COALESCE(src_ip, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND COALESCE(lower(action) = 'deleteobjects', FALSE)
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS start, max(CASE WHEN r = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) + max(CASE WHEN r = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000208' AS rule, 'high' AS level, g0 AS "sourceIPAddress", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 2
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- NOT TRANSLATED: rule 00000000-0000-4000-8000-000000000209 (rare logins (fewer than 2 per window), rules/correlations.yml): event_count condition lt: the engine counts these in windows that start at each group's first event, which SQL window frames cannot follow

-- rule 00000000-0000-4000-8000-000000000302: commands to many instances (each element of a list counts) [high] (value_count correlation, rules/value_lists.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, unnest(CASE json_type(raw, '$.requestParameters.instanceIds') WHEN 'ARRAY' THEN list_transform(list_filter(json_extract(raw, '$.requestParameters.instanceIds[*]'), x -> json_type(x) NOT IN ('OBJECT', 'ARRAY')), x -> json_extract_string(x, '$')) WHEN 'OBJECT' THEN [] ELSE [json_extract_string(raw, '$.requestParameters.instanceIds')] END) AS v
    FROM trailcase_events
    WHERE source = 'cloudtrail'
      AND COALESCE(lower(action) = 'sendcommand', FALSE)
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS start, len(list_distinct(list(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '00000000-0000-4000-8000-000000000302' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 3
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- NOT TRANSLATED: rule 00000000-0000-4000-8000-000000000303 (commands to few instances, rules/value_lists.yml): value_count condition lte: the engine counts these in windows that start at each group's first event, which SQL window frames cannot follow

-- 24 quer(ies), 8 base rule(s) inside them, 2 rule(s) not translated.
