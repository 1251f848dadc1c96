//! What `sam validate --lint` and cfn-lint do not check, asserted on `template.yaml` itself:
//! least privilege, partial batch failures, timeouts, TTL and PITR, and no secrets.

use serde_yaml_ng::Value;
use std::time::Duration;

const TEMPLATE: &str = include_str!("../../template.yaml");

fn template() -> Value {
    serde_yaml_ng::from_str(TEMPLATE).expect("template.yaml parses")
}

fn resources(t: &Value) -> Vec<(String, &Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect()
}

fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(String, &'a Value)> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(ty))
        .collect()
}

/// A literal number, a `!Ref` to a parameter's default, or an `!If` over a condition of the
/// form `!Equals [!Ref Parameter, value]`, judged with the parameters' defaults.
fn number(t: &Value, v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap(),
        Value::String(s) => s.parse().unwrap(),
        Value::Tagged(tag) if tag.tag == "!Ref" => {
            let p = tag.value.as_str().unwrap();
            number(t, &t["Parameters"][p]["Default"])
        }
        Value::Tagged(tag) if tag.tag == "!If" => {
            let cond = &t["Conditions"][tag.value[0].as_str().unwrap()];
            let Value::Tagged(eq) = cond else {
                panic!("condition {cond:?}")
            };
            let Value::Tagged(param) = &eq.value[0] else {
                panic!("!Equals [!Ref P, v]")
            };
            let default = &t["Parameters"][param.value.as_str().unwrap()]["Default"];
            let holds = default.as_str() == eq.value[1].as_str();
            number(t, &tag.value[if holds { 1 } else { 2 }])
        }
        other => panic!("not a number: {other:?}"),
    }
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Sequence(s) => s.iter().collect(),
        other => vec![other],
    }
}

#[test]
fn every_iam_statement_names_specific_resources() {
    let t = template();
    let roles = of_type(&t, "AWS::IAM::Role");
    assert_eq!(roles.len(), 2, "one role per function");
    for (name, role) in roles {
        assert!(
            role["Properties"]["ManagedPolicyArns"].is_null(),
            "{name}: no managed policies (they use *)"
        );
        for policy in role["Properties"]["Policies"].as_sequence().unwrap() {
            for st in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
                let actions: Vec<&str> = as_list(&st["Action"])
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                assert!(
                    actions.iter().all(|a| !a.contains('*')),
                    "{name}: wildcard action in {actions:?}"
                );
                for r in as_list(&st["Resource"]) {
                    if r.as_str() == Some("*") {
                        // X-Ray's write actions have no resource-level permissions at all.
                        assert!(
                            actions.iter().all(|a| *a == "xray:PutTraceSegments"
                                || *a == "xray:PutTelemetryRecords"),
                            "{name}: `*` resource for {actions:?}"
                        );
                    } else {
                        assert!(
                            matches!(r, Value::Tagged(_)),
                            "{name}: resource must reference a stack resource: {r:?}"
                        );
                    }
                }
            }
        }
    }
    // Each function has exactly what it needs.
    let statements = |role: &str| -> Vec<String> {
        t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap()
            .iter()
            .flat_map(|s| {
                as_list(&s["Action"])
                    .into_iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let ingest = statements("IngestRole");
    assert!(
        ingest.contains(&"sqs:SendMessage".into())
            && ingest.contains(&"secretsmanager:GetSecretValue".into())
    );
    assert!(
        !ingest.iter().any(|a| a.starts_with("dynamodb:")),
        "ingest never touches the table"
    );
    let processor = statements("ProcessorRole");
    for needed in [
        "dynamodb:UpdateItem",
        "sqs:ChangeMessageVisibility",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:SendMessage",
    ] {
        assert!(
            processor.contains(&needed.to_owned()),
            "processor needs {needed}"
        );
    }
    assert!(
        !processor.contains(&"dynamodb:DeleteItem".into())
            && !processor.contains(&"dynamodb:Scan".into())
    );
    // Large bodies: ingest may only write them, the processor only read them.
    let s3 = |actions: &[String]| -> Vec<String> {
        actions
            .iter()
            .filter(|a| a.starts_with("s3:"))
            .cloned()
            .collect()
    };
    assert_eq!(s3(&ingest), vec!["s3:PutObject".to_owned()]);
    // ListBucket (on `bodies/*` only) so a missing body is a 404, not a 403.
    assert_eq!(
        s3(&processor),
        vec!["s3:GetObject".to_owned(), "s3:ListBucket".to_owned()]
    );
}

#[test]
fn large_bodies_bucket_is_private_encrypted_and_expires_after_the_queues() {
    let t = template();
    let b = &t["Resources"]["BodiesBucket"];
    assert_eq!(b["Type"].as_str(), Some("AWS::S3::Bucket"));
    assert!(
        b["Properties"]["BucketName"].is_null(),
        "names are global: CloudFormation picks"
    );
    let p = &b["Properties"];
    assert_eq!(
        p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
            .as_str(),
        Some("AES256")
    );
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            p["PublicAccessBlockConfiguration"][k].as_bool(),
            Some(true),
            "{k}"
        );
    }
    let rules = p["LifecycleConfiguration"]["Rules"].as_sequence().unwrap();
    let expire = rules
        .iter()
        .find(|r| r["Prefix"].as_str() == Some("bodies/"))
        .expect("an expiry rule for bodies/");
    let days = number(&t, &expire["ExpirationInDays"]);
    let min = t["Parameters"]["LargeBodyRetentionDays"]["MinValue"]
        .as_u64()
        .unwrap();
    // A claim-check message lives up to 14 days in the queue, then, as a new message, up to
    // 14 in the DLQ: the body must outlive both together.
    let days_in = |q: &str| {
        number(
            &t,
            &t["Resources"][q]["Properties"]["MessageRetentionPeriod"],
        ) / 86_400
    };
    let both = days_in("EventsQueue") + days_in("DeadLetterQueue");
    assert!(days >= min && min >= both, "{days} >= {min} >= {both}");
    // Only TLS.
    let policy = &t["Resources"]["BodiesBucketPolicy"]["Properties"]["PolicyDocument"];
    assert!(policy["Statement"].as_sequence().unwrap().iter().any(|st| {
        st["Effect"].as_str() == Some("Deny")
            && st["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false")
    }));
    // Both functions are told where it is.
    for f in ["IngestFunction", "ProcessorFunction"] {
        let v =
            &t["Resources"][f]["Properties"]["Environment"]["Variables"]["HOOKWELL_BODY_BUCKET"];
        assert!(
            matches!(v, Value::Tagged(tag) if tag.value.as_str() == Some("BodiesBucket")),
            "{f}"
        );
    }
}

#[test]
fn front_end_and_processor_concurrency_are_bounded() {
    let t = template();
    let ingest = &t["Resources"]["IngestFunction"]["Properties"];
    let proc = &t["Resources"]["ProcessorFunction"]["Properties"];
    let if_ref = |v: &Value, param: &str| match v {
        Value::Tagged(tag) if tag.tag == "!If" => {
            let arms = tag.value.as_sequence().unwrap();
            assert_eq!(
                arms[1],
                serde_yaml_ng::from_str::<Value>(&format!("!Ref {param}")).unwrap()
            );
        }
        other => panic!("reserved concurrency should be conditional: {other:?}"),
    };
    if_ref(
        &ingest["ReservedConcurrentExecutions"],
        "IngestReservedConcurrency",
    );
    // The processor's reservation equals the ESM's MaximumConcurrency: never throttled.
    if_ref(
        &proc["ReservedConcurrentExecutions"],
        "ProcessorMaxConcurrency",
    );
    assert_eq!(
        proc["Events"]["Queue"]["Properties"]["ScalingConfig"]["MaximumConcurrency"],
        serde_yaml_ng::from_str::<Value>("!Ref ProcessorMaxConcurrency").unwrap()
    );
    assert!(number(&t, &t["Parameters"]["IngestReservedConcurrency"]["Default"]) > 0);
    // Batches over 10 without a window cannot deploy: a rule refuses them up front.
    let rule = &t["Rules"]["BatchesOverTenNeedAWindow"];
    assert!(!rule["Assertions"].is_null());
}

/// Metrics and alarms are per stack: a staging stack never fires production's alarms.
#[test]
fn metrics_namespace_is_per_stack() {
    let t = template();
    let ns = serde_yaml_ng::from_str::<Value>(r#"!Sub "hookwell/${AWS::StackName}""#).unwrap();
    for f in ["IngestFunction", "ProcessorFunction"] {
        assert_eq!(
            t["Resources"][f]["Properties"]["Environment"]["Variables"]
                ["HOOKWELL_METRICS_NAMESPACE"],
            ns,
            "{f}"
        );
    }
    let text = TEMPLATE;
    assert!(
        !text.contains("Namespace: hookwell\n"),
        "no alarm reads the shared namespace"
    );
    let mut custom = 0;
    for (name, alarm) in of_type(&t, "AWS::CloudWatch::Alarm") {
        let mut namespaces = vec![alarm["Properties"]["Namespace"].clone()];
        if let Some(ms) = alarm["Properties"]["Metrics"].as_sequence() {
            namespaces.extend(
                ms.iter()
                    .map(|m| m["MetricStat"]["Metric"]["Namespace"].clone()),
            );
        }
        for n in namespaces.into_iter().filter(|n| !n.is_null()) {
            let aws = n.as_str().is_some_and(|s| s.starts_with("AWS/"));
            assert!(aws || n == ns, "{name}: {n:?}");
            custom += usize::from(!aws);
        }
    }
    assert!(custom >= 3, "the alarms on hookwell's own metrics");
}

#[test]
fn processor_reports_batch_item_failures_within_sqs_limits() {
    let t = template();
    let f = &t["Resources"]["ProcessorFunction"]["Properties"];
    let esm = &f["Events"]["Queue"]["Properties"];
    assert_eq!(esm["Type"], Value::Null);
    assert_eq!(
        t["Resources"]["ProcessorFunction"]["Properties"]["Events"]["Queue"]["Type"],
        "SQS"
    );
    let types: Vec<&str> = esm["FunctionResponseTypes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(types, ["ReportBatchItemFailures"]);
    let batch = number(&t, &esm["BatchSize"]);
    let window = number(&t, &esm["MaximumBatchingWindowInSeconds"]);
    assert!((1..=10_000).contains(&batch));
    assert!(
        batch <= 10 || window >= 1,
        "batches over 10 need a batching window"
    );
    assert!(window <= 300);
    let max_conc = number(&t, &esm["ScalingConfig"]["MaximumConcurrency"]);
    assert!(
        (2..=1000).contains(&max_conc),
        "ESM maximum concurrency is 2..1000"
    );
}

#[test]
fn timeouts_leases_and_retries_fit_together() {
    let t = template();
    let timeout = number(
        &t,
        &t["Resources"]["ProcessorFunction"]["Properties"]["Timeout"],
    );
    let q = &t["Resources"]["EventsQueue"]["Properties"];
    let vis = number(&t, &q["VisibilityTimeout"]);
    assert!(
        vis >= 6 * timeout,
        "visibility {vis} < 6 x processor timeout {timeout}"
    );
    let env = &t["Resources"]["ProcessorFunction"]["Properties"]["Environment"]["Variables"];
    let lease = number(&t, &env["HOOKWELL_LEASE_SECS"]);
    assert!(lease > timeout, "a live attempt must never lose its claim");
    // The processor follows the retry schedule and dead-letters an event itself when it runs
    // out; maxReceiveCount is only the backstop, well above the schedule's attempts.
    let schedule_text = env["HOOKWELL_RETRY_SCHEDULE"].clone();
    let schedule_default = match &schedule_text {
        Value::Tagged(tag) if tag.tag == "!Ref" => {
            let p = tag.value.as_str().unwrap();
            t["Parameters"][p]["Default"].as_str().unwrap().to_owned()
        }
        other => panic!("HOOKWELL_RETRY_SCHEDULE should be a parameter: {other:?}"),
    };
    let schedule = hookwell::retry::RetrySchedule::parse(&schedule_default).unwrap();
    assert!(
        schedule.span() >= Duration::from_secs(86_400),
        "retries outlast a day-long outage"
    );
    let mrc = number(&t, &q["RedrivePolicy"]["maxReceiveCount"]);
    assert!((1..=1000).contains(&mrc));
    assert!(
        u64::from(schedule.attempts()) + 12 <= mrc,
        "maxReceiveCount {mrc} leaves room for receives that are not attempts"
    );
    let min_mrc = number(&t, &t["Parameters"]["MaxReceiveCount"]["MinValue"]);
    assert!(min_mrc >= u64::from(schedule.attempts()) + 12);
    let queue_retention = number(&t, &q["MessageRetentionPeriod"]);
    assert!(
        Duration::from_secs(queue_retention) > schedule.span() + Duration::from_secs(86_400),
        "a message outlives the whole schedule, with a day to spare"
    );
    let dlq = &t["Resources"]["DeadLetterQueue"]["Properties"];
    let dlq_retention = number(&t, &dlq["MessageRetentionPeriod"]);
    assert_eq!(dlq_retention, 1_209_600, "14 days to replay");
    // Dedup records outlive anything that can still be replayed.
    let min_hours = number(&t, &t["Parameters"]["RetentionHours"]["MinValue"]);
    assert!(min_hours * 3600 > queue_retention.max(dlq_retention));
    assert!(
        Duration::from_secs(min_hours * 3600) >= hookwell::store::DEFAULT_RETENTION,
        "the template never keeps records shorter than the code's default"
    );
    assert!(number(&t, &q["MaximumMessageSize"]) >= hookwell::config::SQS_MAX_MESSAGE_BYTES as u64);
    for qn in ["EventsQueue", "DeadLetterQueue"] {
        assert_eq!(
            t["Resources"][qn]["Properties"]["SqsManagedSseEnabled"],
            Value::Bool(true),
            "{qn} SSE"
        );
    }
    let ingest_timeout = number(
        &t,
        &t["Resources"]["IngestFunction"]["Properties"]["Timeout"],
    );
    assert!(
        ingest_timeout >= 5,
        "ingest must outlive its own 3.5 s SQS budget"
    );
}

#[test]
fn table_has_ttl_pitr_and_on_demand() {
    let t = template();
    let p = &t["Resources"]["EventsTable"]["Properties"];
    assert!(matches!(p["BillingMode"], Value::Tagged(_)), "a parameter");
    assert_eq!(
        t["Parameters"]["TableBillingMode"]["Default"], "PAY_PER_REQUEST",
        "on-demand unless chosen"
    );
    // Provisioned capacity is auto-scaled, only when chosen.
    for r in ["EventsTableWriteScaling", "EventsTableWriteScalingPolicy"] {
        assert_eq!(t["Resources"][r]["Condition"], "ProvisionedTable", "{r}");
    }
    assert_eq!(p["TimeToLiveSpecification"]["AttributeName"], "expires_at");
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], Value::Bool(true));
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        Value::Bool(true)
    );
    assert_eq!(p["KeySchema"][0]["AttributeName"], "pk");
    assert!(
        matches!(p["DeletionProtectionEnabled"], Value::Tagged(_)),
        "a parameter"
    );
    // README "Tear down": `sam delete` keeps the table.
    assert_eq!(t["Resources"]["EventsTable"]["DeletionPolicy"], "Retain");
    assert_eq!(
        t["Parameters"]["TableDeletionProtection"]["Default"],
        "true"
    );
    // And the defaults it names.
    let samconfig = include_str!("../../samconfig.toml");
    assert!(samconfig.contains("stack_name = \"hookwell\""));
    assert!(samconfig.contains("CAPABILITY_IAM"));
}

#[test]
fn functions_use_al2023_and_cargo_lambda_with_logs_and_tracing() {
    let t = template();
    let g = &t["Globals"]["Function"];
    assert_eq!(g["Runtime"], "provided.al2023");
    assert!(
        matches!(g["Tracing"], Value::Tagged(_)),
        "tracing is a parameter"
    );
    assert_eq!(
        t["Parameters"]["Tracing"]["Default"], "PassThrough",
        "X-Ray costs: opt in"
    );
    for f in ["IngestFunction", "ProcessorFunction"] {
        let r = &t["Resources"][f];
        assert_eq!(r["Metadata"]["BuildMethod"], "rust-cargolambda", "{f}");
        let lc = &r["Properties"]["LoggingConfig"];
        assert!(!lc["LogGroup"].is_null(), "{f} has its own log group");
        // Platform lines dropped; application lines (and EMF) never filtered by Lambda.
        assert_eq!(
            (
                &lc["LogFormat"],
                &lc["SystemLogLevel"],
                &lc["ApplicationLogLevel"]
            ),
            (
                &Value::from("JSON"),
                &Value::from("WARN"),
                &Value::from("TRACE")
            ),
            "{f}"
        );
    }
    for (name, lg) in of_type(&t, "AWS::Logs::LogGroup") {
        assert!(
            !lg["Properties"]["RetentionInDays"].is_null(),
            "{name} retention"
        );
    }
    let alarms: Vec<String> = of_type(&t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for a in [
        "DeadLetterQueueNotEmptyAlarm",
        "QueueBacklogAgeAlarm",
        "ProcessorErrorsAlarm",
        "Ingest5xxRateAlarm",
    ] {
        assert!(alarms.contains(&a.to_owned()), "missing {a}");
    }
}

/// Every string in the template, with where it is.
fn strings<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((path, s)),
        Value::Sequence(seq) => seq
            .iter()
            .enumerate()
            .for_each(|(i, x)| strings(x, format!("{path}[{i}]"), out)),
        Value::Mapping(m) => m
            .iter()
            .for_each(|(k, x)| strings(x, format!("{path}.{}", k.as_str().unwrap_or("?")), out)),
        Value::Tagged(t) => strings(&t.value, path, out),
        _ => {}
    }
}

/// Why `s` looks like a secret, if it does.
fn secret_like(s: &str, known: &[String]) -> Option<String> {
    for bad in [
        "whsec_",
        "sk_live",
        "sk_test",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "-----BEGIN",
    ] {
        if s.contains(bad) {
            return Some(format!("contains {bad}"));
        }
    }
    if known.iter().any(|d| s.contains(d.as_str())) {
        return Some("a development secret".into());
    }
    // Long unbroken base64/hex runs mixing letters and digits are what keys look like
    // (CloudWatch names like ApproximateNumberOfMessagesVisible are long but all letters).
    for token in s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
    {
        let has = |f: fn(&char) -> bool| token.chars().any(|c| f(&c));
        let base64ish = token.len() >= 24
            && has(char::is_ascii_uppercase)
            && has(char::is_ascii_lowercase)
            && (has(char::is_ascii_digit) || token.contains(['+', '/']));
        let hexish = token.len() >= 32
            && token.chars().all(|c| c.is_ascii_hexdigit())
            && has(char::is_ascii_digit);
        if base64ish || hexish {
            return Some(format!("`{token}` looks like a key"));
        }
    }
    None
}

#[test]
fn the_secret_detector_detects() {
    let known = vec!["dev-bubble-signing-secret".to_owned()];
    for s in [
        "whsec_abc",
        "token dev-bubble-signing-secret here",
        "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    ] {
        assert!(secret_like(s, &known).is_some(), "{s}");
    }
    for s in [
        "ApproximateNumberOfMessagesVisible",
        "${AWS::StackName}-events",
        "provided.al2023",
    ] {
        assert_eq!(secret_like(s, &known), None, "{s}");
    }
}

#[test]
fn no_secret_looking_value_anywhere() {
    let t = template();
    let mut all = Vec::new();
    strings(&t, String::new(), &mut all);
    let dev: serde_json::Value =
        serde_json::from_str(include_str!("../../infra/local/sources.json")).unwrap();
    let dev_secrets: Vec<String> = dev["sources"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|s| {
            s["secrets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_owned())
        })
        .collect();
    for (path, s) in &all {
        assert_eq!(secret_like(s, &dev_secrets), None, "{path}");
    }
    // Parameters never default to anything secret, and no function environment carries one.
    for f in ["IngestFunction", "ProcessorFunction"] {
        for (k, v) in t["Resources"][f]["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .unwrap()
        {
            let k = k.as_str().unwrap();
            assert!(
                !k.contains("SECRET") || k == "HOOKWELL_SOURCES_SECRET_ID",
                "{f}: {k}"
            );
            if k == "HOOKWELL_SOURCES_SECRET_ID" {
                assert!(
                    matches!(v, Value::Tagged(_)),
                    "{f}: the secret's id is a reference, not a value"
                );
            }
        }
    }
    // The secret resource itself holds only an empty document.
    assert_eq!(
        t["Resources"]["SourcesSecret"]["Properties"]["SecretString"],
        r#"{"sources":{}}"#
    );
}

/// OrderedDelivery: both queues FIFO (a FIFO queue's DLQ must be FIFO), and a deploy-time rule
/// refusing what Lambda refuses for FIFO sources: a batching window, more than 10 per batch.
#[test]
fn ordered_delivery_is_fifo_end_to_end_and_refuses_unsupported_batching() {
    let t = template();
    for q in ["EventsQueue", "DeadLetterQueue"] {
        let p = &t["Resources"][q]["Properties"];
        let Value::Tagged(fifo) = &p["FifoQueue"] else {
            panic!("{q}: FifoQueue follows OrderedDelivery")
        };
        assert_eq!(fifo.tag, "!If");
        assert_eq!(fifo.value[0].as_str(), Some("Ordered"));
        let Value::Tagged(name) = &p["QueueName"] else {
            panic!("{q}: name")
        };
        let fifo_name = format!("{:?}", name.value[1]);
        assert!(fifo_name.contains(".fifo"), "{q}: {fifo_name}");
    }
    // FIFO followers are received with each retry of the event ahead of them: the largest
    // backstop SQS allows.
    let mrc = &t["Resources"]["EventsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"];
    let Value::Tagged(mrc) = mrc else {
        panic!("maxReceiveCount follows OrderedDelivery")
    };
    assert_eq!(
        (mrc.value[0].as_str(), mrc.value[1].as_u64()),
        (Some("Ordered"), Some(1000))
    );
    let rule = &t["Rules"]["FifoTakesNoBatchingWindowAndTenAtMost"];
    let text = format!("{rule:?}");
    assert!(text.contains("OrderedDelivery") && text.contains("ProcessorBatchingWindowSeconds"));
    assert!(text.contains("ProcessorBatchSize"));
    assert_eq!(
        t["Parameters"]["OrderedDelivery"]["Default"].as_str(),
        Some("false"),
        "standard queues unless asked"
    );
}

/// Deliveries are POSTs; GET reaches ingest only at `/webhooks/{source}`, for subscription
/// handshakes (Meta's), and each method has its own invoke permission.
#[test]
fn http_api_routes_are_post_deliveries_and_get_handshakes_only() {
    let t = template();
    let mut routes: Vec<String> = of_type(&t, "AWS::ApiGatewayV2::Route")
        .into_iter()
        .map(|(_, r)| r["Properties"]["RouteKey"].as_str().unwrap().to_owned())
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            "GET /webhooks/{source}",
            "POST /webhooks/{source}",
            "POST /webhooks/{source}/{token}"
        ]
    );
    let mut arns: Vec<String> = of_type(&t, "AWS::Lambda::Permission")
        .into_iter()
        .filter(|(_, p)| p["Properties"]["Principal"].as_str() == Some("apigateway.amazonaws.com"))
        .map(|(_, p)| match &p["Properties"]["SourceArn"] {
            Value::Tagged(tag) => tag
                .value
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    arns.sort();
    assert_eq!(
        arns,
        [
            "${WebhookApi}/*/GET/webhooks/*",
            "${WebhookApi}/*/POST/webhooks/*"
        ]
    );
}
