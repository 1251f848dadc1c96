//! `hookwell stack use` against the local AWS's CloudFormation: a stack with hookwell's
//! output names is read back into the variables the operator commands use.

use hookwell_cli::stack_use::{use_stack, UseArgs, OUTPUT_VARS};
use hookwell_tests::*;

#[tokio::test]
async fn stack_use_writes_the_outputs_the_cli_reads() {
    let sdk = sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let name = unique("hookwell-stack");
    // The deployed template's outputs, over plain resources (the local AWS has no SAM).
    let template = serde_json::json!({
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("{name}-events")}},
            "D": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("{name}-dlq")}},
            "T": {"Type": "AWS::DynamoDB::Table", "Properties": {
                "TableName": format!("{name}-events"),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
        },
        "Outputs": {
            "QueueUrl": {"Value": {"Ref": "Q"}},
            "QueueArn": {"Value": {"Fn::GetAtt": ["Q", "Arn"]}},
            "DeadLetterQueueUrl": {"Value": {"Ref": "D"}},
            "EventsTableName": {"Value": {"Ref": "T"}},
            // The local AWS's CloudFormation gives no Ref for a secret; a literal ARN.
            "SourcesSecretArn": {"Value": {"Fn::Sub": "arn:aws:secretsmanager:us-east-1:123456789012:secret:${AWS::StackName}/sources"}},
            "WebhookBaseUrl": {"Value": "https://example.invalid/webhooks/"}
        }
    });
    cfn.create_stack()
        .stack_name(&name)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(unique("stack-use"));
    let out = dir.join("stack.env");
    let vars = use_stack(
        &cfn,
        &UseArgs {
            stack_name: name.clone(),
            out: out.clone(),
        },
    )
    .await
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    for (_, var) in OUTPUT_VARS {
        assert!(text.contains(&format!("{var}=")), "{var} in {text}");
    }
    let get = |k: &str| vars.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("HOOKWELL_TABLE"), format!("{name}-events"));
    assert!(get("HOOKWELL_QUEUE_URL").ends_with(&format!("{name}-events")));
    assert!(get("HOOKWELL_QUEUE_ARN").starts_with("arn:aws:sqs:"));
    assert_eq!(get("HOOKWELL_STACK_NAME"), name);
    assert!(get("HOOKWELL_SOURCES_SECRET_ID").ends_with(&format!("{name}/sources")));

    // A stack that is not there: a clear error, nothing written.
    let missing = dir.join("missing.env");
    let err = use_stack(
        &cfn,
        &UseArgs {
            stack_name: unique("no-such-stack"),
            out: missing.clone(),
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("stack "), "{err}");
    assert!(!missing.exists());
    let _ = std::fs::remove_dir_all(dir);
}
