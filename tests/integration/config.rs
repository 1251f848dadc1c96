//! `hookwell config push` against the local Secrets Manager: a valid document reaches the
//! secret; an invalid one is refused and the secret keeps the last good document.

use hookwell_cli::config;
use hookwell_tests::*;

#[tokio::test]
async fn push_stores_a_valid_document_and_refuses_a_bad_one() {
    let sm = aws_sdk_secretsmanager::Client::new(&sdk().await);
    let id = unique("sources");
    let dir = std::env::temp_dir().join(unique("config-push"));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/local/sources.json");
    let out = config::push(&sm, &good, &id).await.unwrap();
    assert!(out.contains("stored in"), "{out}");
    let stored = || async {
        sm.get_secret_value()
            .secret_id(&id)
            .send()
            .await
            .unwrap()
            .secret_string
            .unwrap()
    };
    assert_eq!(stored().await, std::fs::read_to_string(&good).unwrap());

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"sources":{"bubble-token":{"scheme":"url_token","secrets":["too-short"]}}}"#,
    )
    .unwrap();
    let err = config::push(&sm, &bad, &id).await.unwrap_err().to_string();
    assert!(err.contains("at least 32 characters"), "{err}");
    assert!(!err.contains("too-short"), "secret echoed: {err}");
    assert_eq!(
        stored().await,
        std::fs::read_to_string(&good).unwrap(),
        "the last good document stays"
    );
    let _ = std::fs::remove_dir_all(dir);
}
