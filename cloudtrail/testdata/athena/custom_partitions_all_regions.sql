SELECT
  eventid,
  sharedeventid,
  eventtime,
  eventsource,
  eventname,
  awsregion,
  recipientaccountid,
  errorcode,
  errormessage,
  json_extract_scalar(requestparameters, '$.roleArn') AS role_arn,
  json_extract_scalar(requestparameters, '$.roleSessionName') AS role_session_name,
  json_extract_scalar(requestparameters, '$.sourceIdentity') AS request_source_identity,
  useridentity.sessioncontext.sourceidentity AS caller_source_identity,
  useridentity.arn AS caller_arn,
  sourceipaddress,
  useragent,
  json_extract_scalar(responseelements, '$.assumedRoleUser.arn') AS assumed_role_arn,
  json_extract_scalar(responseelements, '$.credentials.accessKeyId') AS access_key_id
FROM "logs"."trail"
WHERE "dt" BETWEEN '2026/05/01' AND '2026/05/08'
  AND (eventsource IN ('sts.amazonaws.com') OR eventsource IS NULL)
  AND (eventname IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity') OR eventname IS NULL)
  AND (eventtime >= '2026-04-29T22:59:59Z' AND eventtime < '2026-05-09T01:00:00Z' OR eventtime IS NULL OR NOT regexp_like(eventtime, '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-]([01][0-9]|2[0-4]):[0-5][0-9])$'))
  AND "acct" IN ('111122223333')
  AND (recipientaccountid IN ('111122223333') OR recipientaccountid IS NULL)
