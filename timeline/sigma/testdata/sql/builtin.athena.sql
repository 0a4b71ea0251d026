-- trailcase Sigma rules as Amazon Athena (engine version 3) SQL over a Parquet export in S3,
-- read through the table trailcase_events created as docs/export-schema.md shows (schema version 1).
-- Each query returns one row per match (detection rules) or per group (correlation rules).

-- rule 71edf286-98f6-4f5a-8190-4cdd05856d32: Administrator policy attached [high] (detection, aws_admin_policy_attached.yml)
SELECT '71edf286-98f6-4f5a-8190-4cdd05856d32' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'iam.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('attachuserpolicy', 'attachrolepolicy', 'attachgrouppolicy'), FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.policyArn[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%:policy/administratoraccess' ESCAPE '\'), FALSE))
ORDER BY "time", evidence, record;

-- rule 66d11f73-742e-4d3c-a645-d475dddb7462: Bedrock model invoked with long-term credentials [medium] (detection, aws_bedrock_invocation.yml)
SELECT '66d11f73-742e-4d3c-a645-d475dddb7462' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'bedrock.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('invokemodel', 'invokemodelwithresponsestream', 'converse', 'conversestream'), FALSE) AND COALESCE(lower(principal_type) IN ('iamuser', 'root'), FALSE))
ORDER BY "time", evidence, record;

-- rule 031ec8e4-72d5-4d2c-b954-8b67cc8070d7 (Bedrock reconnaissance) is a base rule of 43b214a5-3416-4940-b70b-1282ab6ad055: it is part of that query.

-- rule c9a293c3-6dad-49c3-adff-ea3e063dbad5 (Bedrock model invocation) is a base rule of 43b214a5-3416-4940-b70b-1282ab6ad055: it is part of that query.

-- rule e56b468b-d75c-4763-977c-9a564ed1f24a: Bucket policy or ACL opened to everyone [high] (detection, aws_bucket_opened.yml)
SELECT 'e56b468b-d75c-4763-977c-9a564ed1f24a' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(action) = 'putbucketpolicy', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.bucketPolicy.Statement.Principal[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = '*'), FALSE)) OR (COALESCE(lower(action) = 'putbucketpolicy', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.bucketPolicy.Statement.Principal.AWS[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = '*'), FALSE)) OR (COALESCE(lower(action) = 'putbucketacl', FALSE) AND (COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.AccessControlPolicy.AccessControlList.Grant.Grantee.URI[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%/global/allusers' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.AccessControlPolicy.AccessControlList.Grant.Grantee.URI[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%/global/authenticatedusers' ESCAPE '\'), FALSE))))
ORDER BY "time", evidence, record;

-- rule 635db0b3-1243-4921-af67-4265ea4f8f8d: CloudTrail logging stopped, deleted or changed [high] (detection, aws_cloudtrail_logging_degraded.yml)
SELECT '635db0b3-1243-4921-af67-4265ea4f8f8d' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'cloudtrail.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('stoplogging', 'deletetrail', 'updatetrail', 'puteventselectors'), FALSE))
ORDER BY "time", evidence, record;

-- rule 2619bb46-581d-43db-bf65-d6d9d2e80b63: AWS Config recording stopped [high] (detection, aws_config_recorder_stopped.yml)
SELECT '2619bb46-581d-43db-bf65-d6d9d2e80b63' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'config.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('stopconfigurationrecorder', 'deleteconfigurationrecorder', 'deletedeliverychannel'), FALSE))
ORDER BY "time", evidence, record;

-- rule da7c9dd3-9325-4f95-a5e0-7b6ad2468981 (Failed console login) is a base rule of 73e7744a-74f7-4ddd-907e-d75d8e870615: it is part of that query.

-- rule d5485e22-d026-442e-bbde-2f8286cfc87c: Console login without MFA [medium] (detection, aws_console_login_without_mfa.yml)
SELECT 'd5485e22-d026-442e-bbde-2f8286cfc87c' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(action) = 'consolelogin', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.responseElements.ConsoleLogin[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'success'), FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.additionalEventData.MFAUsed[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'no'), FALSE))
ORDER BY "time", evidence, record;

-- rule b8c28db3-884b-4293-93b8-e6b8f97e5aef: Access key or console password created for another user [medium] (detection, aws_credentials_for_other_user.yml)
SELECT 'b8c28db3-884b-4293-93b8-e6b8f97e5aef' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(event_source) = 'iam.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('createaccesskey', 'createloginprofile', 'updateloginprofile'), FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.userName[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE)) AND NOT COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.userName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> json_extract_scalar(x, '$') = user_name), FALSE))
ORDER BY "time", evidence, record;

-- rule a0a1c806-dfd6-4fde-a9b0-6782fd1bc057 (Discovery call) is a base rule of 2ad6c957-be02-45c1-9e7f-1dcc175d3fd3: it is part of that query.

-- rule e3666e3a-8832-4133-8102-93004f597f14: Load balancer access logs turned off [medium] (detection, aws_elb_access_logs_disabled.yml)
SELECT 'e3666e3a-8832-4133-8102-93004f597f14' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(action) = 'modifyloadbalancerattributes', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.attributes.key[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'access_logs.s3.enabled'), FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.attributes.value[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'false'), FALSE)) OR (COALESCE(lower(action) = 'modifyloadbalancerattributes', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.loadBalancerAttributes.accessLog.enabled[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'false'), FALSE)))
ORDER BY "time", evidence, record;

-- rule 9e8e20fd-b1a5-45ed-ba7b-59d7a9af16ea: VPC flow logs deleted [high] (detection, aws_flow_logs_deleted.yml)
SELECT '9e8e20fd-b1a5-45ed-ba7b-59d7a9af16ea' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'ec2.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'deleteflowlogs', FALSE))
ORDER BY "time", evidence, record;

-- rule a94ca0e9-9485-44ff-9831-651709704116: GuardDuty detector deleted or disabled [high] (detection, aws_guardduty_disabled.yml)
SELECT 'a94ca0e9-9485-44ff-9831-651709704116' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(event_source) = 'guardduty.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'deletedetector', FALSE)) OR (COALESCE(lower(event_source) = 'guardduty.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'updatedetector', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.enable[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'false'), FALSE)))
ORDER BY "time", evidence, record;

-- rule b1ec4ef1-f58f-4ff2-a40f-ba40c956e964 (Instance role session call) is a base rule of 21985d01-1711-4d03-9653-a7a283615190: it is part of that query.

-- rule e85ea8d0-d169-476b-ae69-51111e8228c3: Instance launched with an instance profile [low] (detection, aws_instance_with_role_launched.yml)
SELECT 'e85ea8d0-d169-476b-ae69-51111e8228c3' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'ec2.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'runinstances', FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.iamInstanceProfile[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE))
ORDER BY "time", evidence, record;

-- rule 0a98af30-ee31-4a3b-8cde-de8c2f558838: KMS key scheduled for deletion or disabled [high] (detection, aws_kms_key_deletion.yml)
SELECT '0a98af30-ee31-4a3b-8cde-de8c2f558838' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'kms.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('schedulekeydeletion', 'disablekey'), FALSE))
ORDER BY "time", evidence, record;

-- rule 295425f6-ab19-444c-b59a-93ad37cfbd83: Account left its organization [high] (detection, aws_leave_organization.yml)
SELECT '295425f6-ab19-444c-b59a-93ad37cfbd83' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'organizations.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'leaveorganization', FALSE))
ORDER BY "time", evidence, record;

-- rule 2550faea-d9e0-440b-ad0b-643c073fcc6f: Log bucket lifecycle changed or bucket deleted [high] (detection, aws_log_bucket_lifecycle_or_delete.yml)
SELECT '2550faea-d9e0-440b-ad0b-643c073fcc6f' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(event_source) = 's3.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('putbucketlifecycle', 'putbucketlifecycleconfiguration', 'deletebucketlifecycle', 'deletebucket'), FALSE)) AND (COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.bucketName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%log%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.bucketName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%trail%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.bucketName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%audit%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.bucketName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%flow%' ESCAPE '\'), FALSE)))
ORDER BY "time", evidence, record;

-- rule ae5a5e04-8fe0-4866-b4f9-a86930013baa (IAM user created) is a base rule of 0496fc2a-36f2-4cd6-9703-2ee7e72db38a: it is part of that query.

-- rule 8de9c594-89b3-4080-a923-3904e4c0f908 (IAM user given broad rights) is a base rule of 0496fc2a-36f2-4cd6-9703-2ee7e72db38a: it is part of that query.

-- rule 06995a47-d6e2-4dd0-8a5d-15e6034ea797: Route 53 resolver query logging removed [medium] (detection, aws_resolver_query_logging_deleted.yml)
SELECT '06995a47-d6e2-4dd0-8a5d-15e6034ea797' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'route53resolver.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('deleteresolverquerylogconfig', 'disassociateresolverquerylogconfig'), FALSE))
ORDER BY "time", evidence, record;

-- rule 118577af-1f80-494d-b5cb-0b11bfedfe27 (Role or instance profile prepared) is a base rule of 706d45f9-e8d6-487e-b1d9-e1546eebebab: it is part of that query.

-- rule b94c997f-aa2d-4aa5-874f-079b80328b14 (Role passed to an instance) is a base rule of 706d45f9-e8d6-487e-b1d9-e1546eebebab: it is part of that query.

-- rule 7d4eb344-92bb-4167-a9e5-2e080638e591: Role trust policy changed [medium] (detection, aws_role_trust_policy_changed.yml)
SELECT '7d4eb344-92bb-4167-a9e5-2e080638e591' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(event_source) = 'iam.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'updateassumerolepolicy', FALSE))
ORDER BY "time", evidence, record;

-- rule a24b8530-fc20-4a65-a83f-3996f4f6940a: Root user activity [high] (detection, aws_root_account_used.yml)
SELECT 'a24b8530-fc20-4a65-a83f-3996f4f6940a' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(principal_type) = 'root', FALSE) AND NOT COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.eventType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'awsserviceevent'), FALSE) AND NOT COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.userIdentity.invokedBy[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE))
ORDER BY "time", evidence, record;

-- rule 9147541c-2e47-4c3b-afef-6e1a5a64f34d (Object deletion) is a base rule of 5ea6be28-7c09-4553-a001-897e2382a317: it is part of that query.

-- rule d1b1716d-3fa2-4d29-869f-ccd508eb8dbd (Object read) is a base rule of 77bfbb51-fae8-481b-926f-f05fa1f387ca: it is part of that query.

-- rule 22ab6356-1e79-497b-afdc-445fda4a1489 (Secret read) is a base rule of d37a1928-65d6-4638-8664-325c663794cc: it is part of that query.

-- rule f3388ecf-ba21-411c-9cfb-5ebe2c25f1bd: Security group opened to the internet on an admin port [high] (detection, aws_security_group_admin_ports_open.yml)
SELECT 'f3388ecf-ba21-411c-9cfb-5ebe2c25f1bd' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(action) = 'authorizesecuritygroupingress', FALSE) AND (COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.ipPermissions.items.fromPort[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = '22'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.ipPermissions.items.fromPort[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = '3389'), FALSE))) AND (COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.ipPermissions.items.ipRanges.items.cidrIp[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = '0.0.0.0/0'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.ipPermissions.items.ipv6Ranges.items.cidrIpv6[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = '::/0'), FALSE)))
ORDER BY "time", evidence, record;

-- rule 4b6d4ae2-2dce-47a8-bef6-f055ea6b4bcf: Snapshot or image shared [high] (detection, aws_snapshot_or_image_shared.yml)
SELECT '4b6d4ae2-2dce-47a8-bef6-f055ea6b4bcf' AS rule, 'high' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(action) = 'modifysnapshotattribute', FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.createVolumePermission.add[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE)) OR (COALESCE(lower(action) = 'modifyimageattribute', FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.launchPermission.add[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE)) OR (COALESCE(lower(action) IN ('modifydbsnapshotattribute', 'modifydbclustersnapshotattribute'), FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.attributeName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'restore'), FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.valuesToAdd[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE)))
ORDER BY "time", evidence, record;

-- rule 48221235-d868-4d66-9d62-a4ed988c8b75 (Command or session on an instance through SSM) is a base rule of ce5bd420-c014-470d-9d04-4fc052131e36: it is part of that query.

-- rule 7b7e9d55-4068-4a52-8f5c-3b4dae7e0722 (SSM session started) is a base rule of 8b2d1e4f-9496-4ca3-b04f-a8e9cad0dabd: it is part of that query.

-- rule 5b8372b3-1da6-418f-a936-47a400d69c85: Unusual instance launch (GPU or accelerated types, or many at once) [medium] (detection, aws_unusual_run_instances.yml)
SELECT '5b8372b3-1da6-418f-a936-47a400d69c85' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND ((COALESCE(lower(event_source) = 'ec2.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'runinstances', FALSE)) AND ((COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p2.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p3.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p3dn.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p4d.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p4de.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p5.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'p5e.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g3.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g3s.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g4dn.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g4ad.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g5.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g5g.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g6.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'g6e.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'gr6.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'inf1.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'inf2.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'trn1.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'trn1n.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'trn2.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'dl1.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'dl2q.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'vt1.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'f1.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'f2.%' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceType[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE 'x2iedn.%' ESCAPE '\'), FALSE)) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instancesSet.items.maxCount[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> TRY_CAST(json_extract_scalar(x, '$') AS DOUBLE) >= 10), FALSE)))
ORDER BY "time", evidence, record;

-- rule 76957542-4b7f-4f20-80d7-946f0781f4c5: Instance user data changed [medium] (detection, aws_user_data_modified.yml)
SELECT '76957542-4b7f-4f20-80d7-946f0781f4c5' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'cloudtrail'
  AND (COALESCE(lower(action) = 'modifyinstanceattribute', FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.userData[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE))
ORDER BY "time", evidence, record;

-- rule dc96343a-784d-4457-9e95-59c6de9a0f4f (Instance user data read) is a base rule of 7731370b-7dc8-4dac-9c2b-7bcb3699eb44: it is part of that query.

-- rule 3f3a1ba1-cd51-48a3-b68c-9d32c07acdb6 (Client error response) is a base rule of fba54823-3090-4ade-9553-e25f7b6673dd: it is part of that query.

-- rule c9214406-498f-41c4-9cbb-1fe652f6c719: Path traversal or SQL injection in a request [medium] (detection, elb_injection_patterns.yml)
SELECT 'c9214406-498f-41c4-9cbb-1fe652f6c719' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'elb'
  AND ((COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%../%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%..\%2f%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%\%2e\%2e%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/etc/passwd%' ESCAPE '\', FALSE)) OR COALESCE(regexp_like(NULLIF(json_extract_scalar(fields, '$.request_url'), '-'), '(?i)(union(%20|\+|\s)+select|''(%20|\+|\s)*or(%20|\+|\s)+''?1''?=|sleep\(|information_schema)'), FALSE))
ORDER BY "time", evidence, record;

-- rule 111b08f8-13f9-447e-b368-f1c44ed85ecf: Web scanner probing for sensitive paths [low] (detection, elb_scanner_paths.yml)
SELECT '111b08f8-13f9-447e-b368-f1c44ed85ecf' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'elb'
  AND (COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/.env%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/.git/%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/wp-login.php%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/actuator%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/server-status%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/.aws/credentials%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.request_url'), '-')) LIKE '%/phpmyadmin%' ESCAPE '\', FALSE))
ORDER BY "time", evidence, record;

-- rule 0b0f4288-a9dd-4514-b3a3-ff4a49075453: Scanner user agent [low] (detection, elb_scanner_user_agents.yml)
SELECT '0b0f4288-a9dd-4514-b3a3-ff4a49075453' AS rule, 'low' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'elb'
  AND (COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%sqlmap%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%nikto%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%nmap%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%masscan%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%zgrab%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%nuclei%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%gobuster%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%dirbuster%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%wpscan%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%go-http-client%' ESCAPE '\', FALSE) OR COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.user_agent'), '-')) LIKE '%python-requests%' ESCAPE '\', FALSE))
ORDER BY "time", evidence, record;

-- rule 61d26bc6-c793-441b-b523-86f099027228: Admin port reached from the internet [medium] (detection, net_admin_port_from_internet.yml)
SELECT '61d26bc6-c793-441b-b523-86f099027228' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'vpcflow'
  AND ((COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.action'), '-')) = 'accept', FALSE) AND (COALESCE(dst_port = 22, FALSE) OR COALESCE(dst_port = 3389, FALSE))) AND NOT (COALESCE(contains('10.0.0.0/8', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('172.16.0.0/12', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('192.168.0.0/16', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('100.64.0.0/10', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('127.0.0.0/8', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('fc00::/7', TRY_CAST(src_ip AS IPADDRESS)), FALSE)))
ORDER BY "time", evidence, record;

-- rule ff1fc9bd-7ce7-4652-b0df-29849005d76f: Large transfer from a private address to an external one [medium] (detection, net_large_egress.yml)
SELECT 'ff1fc9bd-7ce7-4652-b0df-29849005d76f' AS rule, 'medium' AS level, "time", source, account, principal, src_ip, action, outcome, evidence, record
FROM trailcase_events
WHERE source = 'vpcflow'
  AND ((COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.action'), '-')) = 'accept', FALSE) AND COALESCE(bytes >= 1.048576e+08, FALSE)) AND (COALESCE(contains('10.0.0.0/8', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('172.16.0.0/12', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('192.168.0.0/16', TRY_CAST(src_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('fc00::/7', TRY_CAST(src_ip AS IPADDRESS)), FALSE)) AND NOT (COALESCE(contains('10.0.0.0/8', TRY_CAST(dst_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('172.16.0.0/12', TRY_CAST(dst_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('192.168.0.0/16', TRY_CAST(dst_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('100.64.0.0/10', TRY_CAST(dst_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('169.254.0.0/16', TRY_CAST(dst_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('fc00::/7', TRY_CAST(dst_ip AS IPADDRESS)), FALSE) OR COALESCE(contains('fe80::/10', TRY_CAST(dst_ip AS IPADDRESS)), FALSE)))
ORDER BY "time", evidence, record;

-- rule 1ccee2a0-8cde-4e05-8d89-071eb7d6b145 (Rejected connection) is a base rule of e0e9483f-3880-40f6-b9b5-af4c446e3289: it is part of that query.

-- rule 43b214a5-3416-4940-b70b-1282ab6ad055: Bedrock logging checked, then a model invoked, by one principal [high] (temporal_ordered correlation, aws_bedrock_invocation.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(event_source) = 'bedrock.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('getmodelinvocationloggingconfiguration', 'listfoundationmodels', 'getfoundationmodelavailability', 'listfoundationmodelagreementoffers'), FALSE))
  UNION ALL
  SELECT "time" AS t, evidence, record, 1 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(event_source) = 'bedrock.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('invokemodel', 'invokemodelwithresponsestream', 'converse', 'conversestream'), FALSE))
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS start, CASE WHEN r = 1 THEN 1 + max(CASE WHEN r = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) ELSE 0 END AS n
  FROM base
)
SELECT '43b214a5-3416-4940-b70b-1282ab6ad055' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 2
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 73e7744a-74f7-4ddd-907e-d75d8e870615: Burst of failed console logins from one address [medium] (event_count correlation, aws_console_login_failures.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(src_ip, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(action) = 'consolelogin', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.responseElements.ConsoleLogin[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'failure'), FALSE))
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '73e7744a-74f7-4ddd-907e-d75d8e870615' AS rule, 'medium' AS level, g0 AS "sourceIPAddress", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 5
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 2ad6c957-be02-45c1-9e7f-1dcc175d3fd3: Discovery burst by one principal [medium] (value_count correlation, aws_discovery_burst.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, action AS v
    FROM trailcase_events
    WHERE source = 'cloudtrail'
      AND ((COALESCE(lower(action) LIKE 'list%' ESCAPE '\', FALSE) OR COALESCE(lower(action) LIKE 'describe%' ESCAPE '\', FALSE) OR COALESCE(lower(action) LIKE 'get%' ESCAPE '\', FALSE)) AND NOT COALESCE(lower(action) IN ('getobject', 'getbucketlocation'), FALSE))
        AND action IS NOT NULL
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS start, cardinality(array_distinct(array_agg(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '2ad6c957-be02-45c1-9e7f-1dcc175d3fd3' AS rule, 'medium' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 20
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 21985d01-1711-4d03-9653-a7a283615190: Instance credentials used from more than one address [high] (value_count correlation, aws_instance_credentials_elsewhere.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, src_ip AS v
    FROM trailcase_events
    WHERE source = 'cloudtrail'
      AND ((COALESCE(lower(principal_type) = 'assumedrole', FALSE) AND COALESCE(regexp_like(identity_arn, ':assumed-role/[^/]+/i-[0-9a-f]{8,17}$'), FALSE)) AND NOT (COALESCE(lower(src_ip) LIKE '%.amazonaws.com' ESCAPE '\', FALSE) OR COALESCE(lower(src_ip) = 'aws internal', FALSE)))
        AND src_ip IS NOT NULL
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS start, cardinality(array_distinct(array_agg(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '21985d01-1711-4d03-9653-a7a283615190' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 2
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 0496fc2a-36f2-4cd6-9703-2ee7e72db38a: New IAM user given administrator rights by the same principal [high] (temporal_ordered correlation, aws_new_user_made_admin.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, COALESCE(json_extract_scalar(raw, '$.requestParameters.userName'), '') AS g1
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(event_source) = 'iam.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'createuser', FALSE))
  UNION ALL
  SELECT "time" AS t, evidence, record, 1 AS r, COALESCE(identity_arn, '') AS g0, COALESCE(json_extract_scalar(raw, '$.requestParameters.userName'), '') AS g1
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND ((COALESCE(lower(action) = 'attachuserpolicy', FALSE) AND (COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.policyArn[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%/administratoraccess' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.policyArn[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%/iamfullaccess' ESCAPE '\'), FALSE) OR COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.policyArn[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) LIKE '%/poweruseraccess' ESCAPE '\'), FALSE))) OR COALESCE(lower(action) IN ('putuserpolicy', 'addusertogroup'), FALSE))
), win AS (
  SELECT g0, g1, t, min(t) OVER (PARTITION BY g0, g1 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS start, CASE WHEN r = 1 THEN 1 + max(CASE WHEN r = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY g0, g1 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) ELSE 0 END AS n
  FROM base
)
SELECT '0496fc2a-36f2-4cd6-9703-2ee7e72db38a' AS rule, 'high' AS level, g0 AS "userIdentity.arn", g1 AS "requestParameters.userName", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 2
GROUP BY g0, g1
HAVING count(*) > 0
ORDER BY first_time;

-- rule 706d45f9-e8d6-487e-b1d9-e1546eebebab: Role prepared, then passed to an instance, by one principal (PassRole escalation) [high] (temporal_ordered correlation, aws_role_prepared_then_instance_launched.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(event_source) = 'iam.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('createrole', 'attachrolepolicy', 'putrolepolicy', 'createinstanceprofile', 'addroletoinstanceprofile', 'updateassumerolepolicy'), FALSE))
  UNION ALL
  SELECT "time" AS t, evidence, record, 1 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND ((COALESCE(lower(action) = 'runinstances', FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.iamInstanceProfile[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE)) OR COALESCE(lower(action) IN ('associateiaminstanceprofile', 'replaceiaminstanceprofileassociation'), FALSE))
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) AS start, CASE WHEN r = 1 THEN 1 + max(CASE WHEN r = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '3600' SECOND PRECEDING AND CURRENT ROW) ELSE 0 END AS n
  FROM base
)
SELECT '706d45f9-e8d6-487e-b1d9-e1546eebebab' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 2
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 5ea6be28-7c09-4553-a001-897e2382a317: Burst of S3 deletions by one principal [high] (event_count correlation, aws_s3_delete_burst.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(event_source) = 's3.amazonaws.com', FALSE) AND COALESCE(lower(action) IN ('deleteobject', 'deleteobjects'), FALSE))
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '5ea6be28-7c09-4553-a001-897e2382a317' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 20
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 77bfbb51-fae8-481b-926f-f05fa1f387ca: Burst of S3 reads by one principal [medium] (event_count correlation, aws_s3_get_burst.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(event_source) = 's3.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'getobject', FALSE))
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT '77bfbb51-fae8-481b-926f-f05fa1f387ca' AS rule, 'medium' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 100
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule d37a1928-65d6-4638-8664-325c663794cc: Burst of secret reads by one principal [high] (event_count correlation, aws_secret_read_burst.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0
  FROM trailcase_events
  WHERE source = 'cloudtrail'
    AND (COALESCE(lower(action) IN ('getsecretvalue', 'batchgetsecretvalue', 'getpassworddata'), FALSE) OR (COALESCE(lower(action) IN ('getparameter', 'getparameters', 'getparametersbypath'), FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.withDecryption[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'true'), FALSE)))
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT 'd37a1928-65d6-4638-8664-325c663794cc' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 10
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule ce5bd420-c014-470d-9d04-4fc052131e36: SSM commands sent to many instances by one principal [high] (value_count correlation, aws_ssm_many_instances.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, json_extract_scalar(vj, '$') AS v
    FROM trailcase_events
    CROSS JOIN UNNEST(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceIds[*]' WITH ARRAY WRAPPER)) AS array(json))) AS u(vj)
    WHERE source = 'cloudtrail'
      AND (COALESCE(lower(event_source) = 'ssm.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'sendcommand', FALSE) AND COALESCE(cardinality(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceIds[*]' WITH ARRAY WRAPPER)) AS array(json))) > 0, FALSE))
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '1800' SECOND PRECEDING AND CURRENT ROW) AS start, cardinality(array_distinct(array_agg(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '1800' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT 'ce5bd420-c014-470d-9d04-4fc052131e36' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 5
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 8b2d1e4f-9496-4ca3-b04f-a8e9cad0dabd: SSM sessions started on many instances by one principal [high] (value_count correlation, aws_ssm_many_instances.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, json_extract_scalar(vj, '$') AS v
    FROM trailcase_events
    CROSS JOIN UNNEST(CAST(json_parse(json_query(raw, 'lax $.requestParameters.target[*]' WITH ARRAY WRAPPER)) AS array(json))) AS u(vj)
    WHERE source = 'cloudtrail'
      AND (COALESCE(lower(event_source) = 'ssm.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'startsession', FALSE))
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '1800' SECOND PRECEDING AND CURRENT ROW) AS start, cardinality(array_distinct(array_agg(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '1800' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '8b2d1e4f-9496-4ca3-b04f-a8e9cad0dabd' AS rule, 'high' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 5
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule 7731370b-7dc8-4dac-9c2b-7bcb3699eb44: User data of many instances read by one principal [medium] (value_count correlation, aws_user_data_read_burst.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(identity_arn, '') AS g0, json_extract_scalar(vj, '$') AS v
    FROM trailcase_events
    CROSS JOIN UNNEST(CAST(json_parse(json_query(raw, 'lax $.requestParameters.instanceId[*]' WITH ARRAY WRAPPER)) AS array(json))) AS u(vj)
    WHERE source = 'cloudtrail'
      AND (COALESCE(lower(event_source) = 'ec2.amazonaws.com', FALSE) AND COALESCE(lower(action) = 'describeinstanceattribute', FALSE) AND COALESCE(any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.attribute[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'userdata'), FALSE))
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW) AS start, cardinality(array_distinct(array_agg(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '600' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT '7731370b-7dc8-4dac-9c2b-7bcb3699eb44' AS rule, 'medium' AS level, g0 AS "userIdentity.arn", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 5
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule fba54823-3090-4ade-9553-e25f7b6673dd: Burst of 4xx responses to one client [low] (event_count correlation, elb_client_errors_burst.yml)
WITH base AS (
  SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(src_ip, '') AS g0
  FROM trailcase_events
  WHERE source = 'elb'
    AND COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.elb_status_code'), '-')) LIKE '4%' ESCAPE '\', FALSE)
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS start, count(*) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS n
  FROM base
)
SELECT 'fba54823-3090-4ade-9553-e25f7b6673dd' AS rule, 'low' AS level, g0 AS "client_ip", min(start) AS first_time, max(t) AS last_time, max(n) AS count
FROM win
WHERE n >= 50
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- rule e0e9483f-3880-40f6-b9b5-af4c446e3289: Port scan [medium] (value_count correlation, net_port_scan.yml)
WITH base AS (
  SELECT * FROM (
    SELECT "time" AS t, evidence, record, 0 AS r, COALESCE(src_ip, '') AS g0, CAST(dst_port AS VARCHAR) AS v
    FROM trailcase_events
    WHERE source = 'vpcflow'
      AND COALESCE(lower(NULLIF(json_extract_scalar(fields, '$.action'), '-')) = 'reject', FALSE)
        AND CAST(dst_port AS VARCHAR) IS NOT NULL
  ) AS e WHERE v IS NOT NULL
), win AS (
  SELECT g0, t, min(t) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW) AS start, cardinality(array_distinct(array_agg(v) OVER (PARTITION BY g0 ORDER BY t RANGE BETWEEN INTERVAL '300' SECOND PRECEDING AND CURRENT ROW))) AS n
  FROM base
)
SELECT 'e0e9483f-3880-40f6-b9b5-af4c446e3289' AS rule, 'medium' AS level, g0 AS "srcaddr", min(start) AS first_time, max(t) AS last_time, max(n) AS distinct_values
FROM win
WHERE n >= 20
GROUP BY g0
HAVING count(*) > 0
ORDER BY first_time;

-- 40 quer(ies), 17 base rule(s) inside them, 0 rule(s) not translated.
