//! The events table on DynamoDB. Key `pk` = `{source}#{event_id}`; attributes `status`,
//! `lease_until`, `claim_token`, `attempts`, `event_type`, `received_at`, `started_at`,
//! `completed_at`, `duration_ms`, `last_error`, `failure`, `failed_at`, `dead_lettered_after`
//! (attempts when last dead-lettered: a replay starts the retry schedule afresh),
//! `next_attempt_at`, `expires_at` (TTL), and what is kept of the event once it completes or is
//! dead-lettered: `payload` (raw deflate), `payload_size`, `kept_headers` (JSON), `body_ref`
//! (JSON), plus `redeliveries` and `redelivered_at`. This file is the only one that knows them.

use crate::store::{
    rfc3339, sort_newest_first, unpack_payload, Claim, ClaimOutcome, ClaimRequest, EventRecord,
    EventStore, Failure, HistoryFilter, Kept, StoreError, STATUS_COMPLETED, STATUS_FAILED,
    STATUS_IN_PROGRESS,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;

/// The DynamoDB events table.
#[derive(Debug, Clone)]
pub struct DynamoDbEventStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDbEventStore {
    /// The events table named `table`, reached through `client`; nothing is called until used.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The underlying DynamoDB client.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// One cheap read during a cold start (an eventually consistent `GetItem` of a key no
    /// event has: half a read unit): the connection and its TLS handshake are ready before
    /// the first batch, and a wrong table name fails fast. (`DescribeTable` would be free but
    /// its model adds ~270 KB to the binary.)
    pub async fn warm(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S("hookwell#warm-up".into()))
            .projection_expression("pk")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(crate::aws::describe(&e)))
    }
    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// One event's whole record (with its retained payload), read consistently.
    pub async fn get(
        &self,
        source: &str,
        event_id: &str,
    ) -> Result<Option<EventRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("{source}#{event_id}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&e.into_service_error()))?;
        Ok(out.item.as_ref().and_then(EventRecord::from_item))
    }

    /// Marks an event that is not in progress (COMPLETED, or FAILED) to be run again: FAILED
    /// and due now, so the next delivery of it claims it instead of being skipped as a
    /// duplicate, with `redeliveries` counted and `redelivered_at` set; its retry schedule
    /// starts afresh, as after a replay. Returns the record as
    /// it was before; `Ok(None)` when there is no such event; [`RedeliveryRefused`] when an
    /// attempt holds it.
    pub async fn mark_for_redelivery(
        &self,
        source: &str,
        event_id: &str,
        now: OffsetDateTime,
    ) -> Result<Result<EventRecord, RedeliveryRefused>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("{source}#{event_id}")))
            .update_expression(
                "SET #status = :failed, failure = :kind, last_error = :why, \
                 next_attempt_at = :now, redelivered_at = :nowiso, \
                 dead_lettered_after = attempts \
                 ADD redeliveries :one",
            )
            .condition_expression("attribute_exists(pk) AND (#status = :done OR #status = :failed)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":failed", s(STATUS_FAILED))
            .expression_attribute_values(":done", s(STATUS_COMPLETED))
            .expression_attribute_values(":kind", s("redelivery"))
            .expression_attribute_values(":why", s("redelivery requested by an operator"))
            .expression_attribute_values(":now", n(unix(now)))
            .expression_attribute_values(":nowiso", s(rfc3339(now)))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .attributes
                .as_ref()
                .and_then(EventRecord::from_item)
                .ok_or(RedeliveryRefused::NotFound)),
            Err(e) => Ok(Err(match refused_item(e)? {
                Some(_) => RedeliveryRefused::InProgress,
                None => RedeliveryRefused::NotFound,
            })),
        }
    }

    /// The delivery history, newest first, filtered on the server where it can be: a scan,
    /// bounded at 100 pages. Fine for an operator's look; a very large table wants a
    /// narrower `since`.
    pub async fn history(&self, f: &HistoryFilter) -> Result<Vec<EventRecord>, StoreError> {
        let mut conds = Vec::new();
        let mut values = HashMap::new();
        if let Some(v) = &f.source {
            conds.push("#source = :source");
            values.insert(":source".to_owned(), s(v));
        }
        if let Some(v) = &f.status {
            conds.push("#status = :status");
            values.insert(":status".to_owned(), s(v.to_ascii_uppercase()));
        }
        if let Some(v) = &f.event_type {
            conds.push("event_type = :etype");
            values.insert(":etype".to_owned(), s(v));
        }
        // Coarse on the table (strings), exact below (times): see `HistoryFilter::received_bounds`.
        let (since, until) = f.received_bounds();
        if let Some(t) = since {
            conds.push("received_at >= :since");
            values.insert(":since".to_owned(), s(t));
        }
        if let Some(t) = until {
            conds.push("received_at < :until");
            values.insert(":until".to_owned(), s(t));
        }
        // Every attribute but the payload: a list never shows it (`get` reads one record
        // whole), so it is neither sent nor inflated.
        let names = HashMap::from([
            ("#source".to_owned(), "source".to_owned()),
            ("#status".to_owned(), "status".to_owned()),
        ]);
        let projection = "pk, #source, event_id, event_type, #status, attempts, received_at, \
             completed_at, duration_ms, last_error, failure, next_attempt_at, payload_size, \
             kept_headers, body_ref, redeliveries, redelivered_at";
        let mut out = Vec::new();
        let mut start = None;
        for _ in 0..100 {
            let mut req = self
                .client
                .scan()
                .table_name(&self.table)
                .projection_expression(projection)
                .set_expression_attribute_names(Some(names.clone()))
                .set_exclusive_start_key(start.take());
            if !conds.is_empty() {
                req = req
                    .filter_expression(conds.join(" AND "))
                    .set_expression_attribute_values(Some(values.clone()));
            }
            let page = req
                .send()
                .await
                .map_err(|e| unavailable(&e.into_service_error()))?;
            out.extend(
                page.items()
                    .iter()
                    .filter_map(EventRecord::from_item)
                    .filter(|r| f.in_window(r.received_at.as_deref())),
            );
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        sort_newest_first(&mut out);
        out.truncate(f.limit.max(1));
        Ok(out)
    }
}

/// Why an event cannot be marked for redelivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedeliveryRefused {
    /// No record: never received, or its retention ran out.
    #[error("no such event in the events table (never received, or past its retention)")]
    NotFound,
    /// An attempt holds the event right now; it will complete or fail by itself.
    #[error("the event is being processed right now; try again when it has completed or failed")]
    InProgress,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}
fn token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}
/// Error text is bounded so a chatty downstream cannot bloat the item (400 KB limit).
fn bounded(e: &str) -> String {
    e.chars().take(1000).collect()
}

fn get_s<'a>(item: &'a HashMap<String, AttributeValue>, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}
fn get_n(item: &HashMap<String, AttributeValue>, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

impl EventRecord {
    /// Reads a table item; `None` when it lacks `source`, `event_id` or `status`.
    pub fn from_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        Some(Self {
            source: get_s(item, "source")?.to_owned(),
            event_id: get_s(item, "event_id")?.to_owned(),
            event_type: get_s(item, "event_type").unwrap_or("").to_owned(),
            status: get_s(item, "status")?.to_owned(),
            attempts: u32::try_from(get_n(item, "attempts").unwrap_or(0)).unwrap_or(0),
            received_at: get_s(item, "received_at").map(str::to_owned),
            completed_at: get_s(item, "completed_at").map(str::to_owned),
            duration_ms: get_n(item, "duration_ms").and_then(|d| u64::try_from(d).ok()),
            last_error: get_s(item, "last_error").map(str::to_owned),
            failure: get_s(item, "failure").map(str::to_owned),
            next_attempt_at: get_n(item, "next_attempt_at")
                .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                .map(rfc3339),
            payload_size: get_n(item, "payload_size").and_then(|d| u64::try_from(d).ok()),
            payload: item
                .get("payload")
                .and_then(|v| v.as_b().ok())
                .and_then(|b| unpack_payload(b.as_ref())),
            headers: get_s(item, "kept_headers")
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default(),
            body_ref: get_s(item, "body_ref").and_then(|j| serde_json::from_str(j).ok()),
            redeliveries: u32::try_from(get_n(item, "redeliveries").unwrap_or(0)).unwrap_or(0),
            redelivered_at: get_s(item, "redelivered_at").map(str::to_owned),
        })
    }
}

/// A conditional `UpdateItem` that failed: the item as it was (`ALL_OLD`) when its condition
/// refused the write, `Ok(None)` when there was no item; `Err` when the call itself failed.
fn refused_item<R>(
    e: aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        R,
    >,
) -> Result<Option<HashMap<String, AttributeValue>>, StoreError>
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    match e.into_service_error() {
        UpdateItemError::ConditionalCheckFailedException(c) => Ok(c.item),
        other => Err(unavailable(&other)),
    }
}

fn unavailable<E: std::error::Error>(e: &E) -> StoreError {
    StoreError::Unavailable(crate::aws::describe(e))
}

#[async_trait]
impl EventStore for DynamoDbEventStore {
    async fn claim(&self, req: &ClaimRequest) -> Result<ClaimOutcome, StoreError> {
        let now = req.now;
        let lease_until = now + req.lease;
        let tok = token();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(req.key()))
            .update_expression(
                "SET #status = :inprog, lease_until = :lease, claim_token = :tok, \
                 #source = :src, event_id = :eid, event_type = :et, \
                 received_at = if_not_exists(received_at, :recv), started_at = :nowiso, \
                 expires_at = :exp \
                 ADD attempts :one",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now \
                 OR (#status = :failed AND (attribute_not_exists(next_attempt_at) \
                     OR next_attempt_at <= :now)) \
                 OR (#status = :inprog AND lease_until < :now)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#source", "source")
            .expression_attribute_values(":inprog", s(STATUS_IN_PROGRESS))
            .expression_attribute_values(":failed", s(STATUS_FAILED))
            .expression_attribute_values(":lease", n(unix(lease_until)))
            .expression_attribute_values(":tok", s(&tok))
            .expression_attribute_values(":src", s(&req.source))
            .expression_attribute_values(":eid", s(&req.event_id))
            .expression_attribute_values(":et", s(&req.event_type))
            .expression_attribute_values(":recv", s(rfc3339(req.received_at)))
            .expression_attribute_values(":nowiso", s(rfc3339(now)))
            .expression_attribute_values(":now", n(unix(now)))
            .expression_attribute_values(":exp", n(unix(now) + secs(req.retention)))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let count = |k: &str| {
                    out.attributes()
                        .and_then(|a| get_n(a, k))
                        .and_then(|a| u32::try_from(a).ok())
                };
                let attempts = count("attempts").unwrap_or(1);
                Ok(ClaimOutcome::Claimed(Claim {
                    key: req.key(),
                    token: tok,
                    attempts,
                    attempts_before: count("dead_lettered_after").unwrap_or(0).min(attempts),
                    retention: req.retention,
                    lease_until: OffsetDateTime::from_unix_timestamp(unix(lease_until))
                        .unwrap_or(lease_until),
                }))
            }
            Err(e) => {
                let old = refused_item(e)?;
                let old = old.as_ref();
                let at = |k: &str| {
                    old.and_then(|i| get_n(i, k))
                        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                };
                Ok(match old.and_then(|i| get_s(i, "status")) {
                    Some(STATUS_COMPLETED) => ClaimOutcome::AlreadyCompleted,
                    Some(STATUS_FAILED) => ClaimOutcome::NotYet {
                        next_attempt_at: at("next_attempt_at").unwrap_or(now),
                    },
                    _ => ClaimOutcome::Held {
                        lease_until: at("lease_until").unwrap_or(lease_until),
                    },
                })
            }
        }
    }

    async fn complete(
        &self,
        claim: &Claim,
        duration: Duration,
        kept: &Kept,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let (keep, mut values) = kept_clause(kept);
        values.extend([
            (":done", s(STATUS_COMPLETED)),
            (":nowiso", s(rfc3339(now))),
            (":dur", n(duration.as_millis())),
            (":exp", n(unix(now) + secs(claim.retention))),
        ]);
        self.finish(
            claim,
            &format!(
                "SET #status = :done, completed_at = :nowiso, duration_ms = :dur, \
                 expires_at = :exp{keep} \
                 REMOVE lease_until, claim_token, last_error, failure, next_attempt_at"
            ),
            values,
        )
        .await
    }

    async fn release(
        &self,
        claim: &Claim,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.finish(
            claim,
            "SET #status = :failed, last_error = :err, failure = :kind, next_attempt_at = :next \
             REMOVE lease_until, claim_token",
            vec![
                (":failed", s(STATUS_FAILED)),
                (":err", s(bounded(error))),
                (":kind", s("retryable")),
                (":next", n(unix(next_attempt_at))),
            ],
        )
        .await
    }

    async fn fail(
        &self,
        claim: &Claim,
        error: &str,
        why: Failure,
        kept: &Kept,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let (keep, mut values) = kept_clause(kept);
        values.extend([
            (":failed", s(STATUS_FAILED)),
            (":err", s(bounded(error))),
            (":kind", s(why.as_str())),
            (":nowiso", s(rfc3339(now))),
            (":exp", n(unix(now) + secs(claim.retention))),
        ]);
        self.finish(
            claim,
            &format!(
                "SET #status = :failed, last_error = :err, failure = :kind, failed_at = :nowiso, \
                 expires_at = :exp, dead_lettered_after = attempts{keep} \
                 REMOVE lease_until, claim_token, next_attempt_at"
            ),
            values,
        )
        .await
    }

    async fn record_undecodable(
        &self,
        message_id: &str,
        reason: &str,
        retention: Duration,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("_undecodable#{message_id}")))
            .item("source", s("_undecodable"))
            .item("event_id", s(message_id))
            .item("event_type", s("_undecodable"))
            .item("status", s(STATUS_FAILED))
            .item("failure", s("permanent"))
            .item("attempts", n(1))
            .item("received_at", s(rfc3339(now)))
            .item("last_error", s(bounded(reason)))
            .item("expires_at", n(unix(now) + secs(retention)))
            .send()
            .await
            .map_err(|e| unavailable(&e.into_service_error()))?;
        Ok(())
    }
}

/// The `SET` additions and values for what the record keeps (nothing when retention is off).
fn kept_clause(kept: &Kept) -> (String, Vec<(&'static str, AttributeValue)>) {
    let mut set = String::new();
    let mut values = Vec::new();
    if let Some(p) = &kept.payload {
        set.push_str(", payload = :payload");
        values.push((":payload", AttributeValue::B(p.clone().into())));
    }
    if let Some(size) = kept.payload_size {
        set.push_str(", payload_size = :psize");
        values.push((":psize", n(size)));
    }
    if !kept.headers.is_empty() {
        set.push_str(", kept_headers = :hdrs");
        let json = serde_json::to_string(&kept.headers).unwrap_or_default();
        values.push((":hdrs", s(json)));
    }
    if let Some(at) = &kept.body_ref {
        set.push_str(", body_ref = :bref");
        values.push((":bref", s(serde_json::to_string(at).unwrap_or_default())));
    }
    (set, values)
}

impl DynamoDbEventStore {
    async fn finish(
        &self,
        claim: &Claim,
        update: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&claim.key))
            .update_expression(update)
            .condition_expression("claim_token = :tok")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":tok", s(&claim.token));
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let se = e.into_service_error();
                if se.is_conditional_check_failed_exception() {
                    Err(StoreError::LostClaim(claim.key.clone()))
                } else {
                    Err(unavailable(&se))
                }
            }
        }
    }
}
