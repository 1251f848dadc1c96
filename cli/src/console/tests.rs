//! The console's routes and guard over real HTTP on loopback, with an in-memory backend.

use super::backend::{ActionError, Backend};
use super::*;
use hookwell::replay::{DeadLetter, ReplayReport};
use hookwell::store::HistoryFilter;
use std::sync::Mutex;

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const HOSTILE: &str = "<script>window.pwned=1</script>";

#[derive(Default)]
struct Fake {
    records: Vec<EventRecord>,
    letters: Vec<DeadLetter>,
    asked: Mutex<Vec<HistoryFilter>>,
    replays: Mutex<Vec<ReplayFilter>>,
    redelivered: Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl Backend for Fake {
    fn describe(&self) -> String {
        "fake stack".into()
    }
    async fn history(&self, f: &HistoryFilter) -> Result<Vec<EventRecord>, String> {
        self.asked.lock().unwrap().push(f.clone());
        Ok(self
            .records
            .iter()
            .filter(|r| f.source.as_ref().is_none_or(|s| &r.source == s))
            .cloned()
            .collect())
    }
    async fn event(&self, source: &str, id: &str) -> Result<Option<EventRecord>, String> {
        Ok(self
            .records
            .iter()
            .find(|r| r.source == source && r.event_id == id)
            .cloned())
    }
    async fn dlq_depth(&self) -> Result<u64, String> {
        Ok(self.letters.len() as u64)
    }
    async fn dead_letters(&self) -> Result<Vec<DeadLetter>, String> {
        Ok(self.letters.clone())
    }
    async fn replay(&self, filter: &ReplayFilter) -> Result<ReplayReport, ActionError> {
        self.replays.lock().unwrap().push(filter.clone());
        Ok(ReplayReport {
            moved: 1,
            ..Default::default()
        })
    }
    async fn redeliver(&self, source: &str, id: &str) -> Result<EventRecord, ActionError> {
        self.redelivered
            .lock()
            .unwrap()
            .push((source.into(), id.into()));
        self.event(source, id)
            .await
            .map_err(ActionError::Unavailable)?
            .ok_or_else(|| ActionError::NotFound("no such event".into()))
    }
}

fn record(source: &str, id: &str, status: &str, payload: Option<&[u8]>) -> EventRecord {
    EventRecord {
        source: source.into(),
        event_id: id.into(),
        event_type: "message.received".into(),
        status: status.into(),
        attempts: 1,
        received_at: Some("2026-11-26T11:00:00Z".into()),
        payload: payload.map(<[u8]>::to_vec),
        payload_size: payload.map(|p| p.len() as u64),
        ..Default::default()
    }
}

fn fake() -> Fake {
    let attr = |v: &str| {
        aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    let msg = aws_sdk_sqs::types::Message::builder()
        .message_id("m1")
        .body("not an envelope")
        .message_attributes("source", attr("stripe"))
        .message_attributes("event_id", attr("evt_1"))
        .message_attributes("failure_reason", attr("downstream answered 404"))
        .build();
    Fake {
        records: vec![
            record(
                "groupgm",
                "g1",
                "COMPLETED",
                Some("{\"content\":\"大家早安!\"}".as_bytes()),
            ),
            record("bubble", "b&1", "COMPLETED", Some(HOSTILE.as_bytes())),
            record("stripe", "evt_1", "FAILED", Some(b"{}")),
            record("github", "old", "COMPLETED", None),
        ],
        letters: vec![DeadLetter::from_message(&msg)],
        ..Default::default()
    }
}

struct Running {
    base: String,
    http: reqwest::Client,
    fake: Arc<Fake>,
}

async fn start(fake: Fake) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = Arc::new(fake);
    let c = Console::new(
        fake.clone(),
        Guard::with_token(addr, TOKEN.into()),
        Err("send test is off in this test".into()),
        5,
    );
    tokio::spawn(serve(listener, c));
    // Installs the TLS provider reqwest wants, even for plain HTTP.
    hookwell::handlers::client(std::time::Duration::from_secs(5)).unwrap();
    Running {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        fake,
    }
}

impl Running {
    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (s, h) = (r.status().as_u16(), r.headers().clone());
        (s, h, r.text().await.unwrap())
    }

    async fn post(&self, path: &str, origin: Option<&str>, body: &str) -> (u16, String) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (status, loc.unwrap_or(r.text().await.unwrap()))
    }
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_escape_payloads() {
    let c = start(fake()).await;
    for path in [
        "/",
        "/assets/console.js",
        "/nope",
        "/dlq",
        "/event?source=bubble&id=b%261",
    ] {
        let (_, h, _) = c.get(path).await;
        for (k, v) in SECURITY_HEADERS {
            assert_eq!(h.get(k).unwrap(), v, "{path} {k}");
        }
    }
    let (status, h, js) = c.get("/assets/console.js").await;
    assert_eq!(status, 200);
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.contains("getElementById('live')"));
    let (status, _, _) = c.get("/assets/console.css").await;
    assert_eq!(status, 200);
    let (status, h, _) = c.get("/assets/favicon.svg").await;
    assert_eq!(
        (status, h["content-type"].to_str().unwrap()),
        (200, "image/svg+xml")
    );

    let (status, _, page) = c.get("/event?source=bubble&id=b%261").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains(HOSTILE));
    let (_, _, page) = c.get("/event?source=groupgm&id=g1").await;
    assert!(
        page.contains("{\n  &quot;content&quot;: &quot;大家早安!&quot;\n}"),
        "{page}"
    );
    assert!(page.contains("id=\"redeliver\""));
    let (status, _, page) = c.get("/event?source=x&id=y").await;
    assert_eq!(status, 404);
    assert!(page.contains("No such event"));
    // Without its payload, an event cannot be re-delivered.
    let (_, _, page) = c.get("/event?source=github&id=old").await;
    assert!(!page.contains("id=\"redeliver\"") && page.contains("not kept"));
    let (status, _, _) = c.get("/confirm/redeliver?source=github&id=old").await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn history_filters_count_and_link() {
    let c = start(fake()).await;
    let (status, _, page) = c
        .get("/?status=completed&since=1h&type=message.received")
        .await;
    assert_eq!(status, 200);
    // The table asked for everything but the status; counts cover every status.
    let asked = c.fake.asked.lock().unwrap().last().cloned().unwrap();
    assert_eq!(asked.status, None);
    assert_eq!(asked.event_type.as_deref(), Some("message.received"));
    assert!(asked.since.is_some());
    assert!(
        page.contains("data-status=\"FAILED\">failed <b>1</b>"),
        "{page}"
    );
    assert!(page.contains("data-status=\"COMPLETED\">completed <b>3</b>"));
    let rows = page.matches("<tr data-source=").count();
    assert_eq!(rows, 3, "COMPLETED rows only");
    assert!(page.contains("href=\"/event?source=bubble&amp;id=b%261\""));
    assert!(page.contains(
        "data-src=\"/fragment/history?type=message.received&amp;status=completed&amp;since=1h\""
    ));
    assert!(page.contains("<svg class=\"chart\""));
    // The filter form keeps what was asked.
    assert!(page.contains("<option selected>COMPLETED</option>"));
    let (status, _, frag) = c.get("/fragment/history?source=stripe").await;
    assert_eq!(status, 200);
    assert!(!frag.contains("<html") && frag.contains("evt_1"));
    let (_, _, page) = c.get("/?status=DONE").await;
    assert!(page.contains("Filter left out: status `DONE`"));
}

#[tokio::test]
async fn actions_need_the_origin_and_the_token() {
    let c = start(fake()).await;
    let own = c.base.clone();
    let replay = format!("token={TOKEN}&source=stripe&id=evt_1");
    // The confirmation page carries the token; the DLQ page links to it.
    let (_, _, dlq) = c.get("/dlq").await;
    assert!(
        dlq.contains("href=\"/confirm/replay?source=stripe&amp;id=evt_1\""),
        "{dlq}"
    );
    let (_, _, confirm) = c.get("/confirm/replay?source=stripe&id=evt_1").await;
    assert!(confirm.contains(&format!("name=\"token\" value=\"{TOKEN}\"")));
    assert!(confirm.contains("action=\"/actions/replay\""));

    for (origin, body, why) in [
        (None, replay.as_str(), "no Origin"),
        (
            Some("https://evil.example"),
            replay.as_str(),
            "another Origin",
        ),
        (Some("null"), replay.as_str(), "an opaque Origin"),
        (Some(own.as_str()), "source=stripe&id=evt_1", "no token"),
        (
            Some(own.as_str()),
            "token=00&source=stripe&id=evt_1",
            "a wrong token",
        ),
    ] {
        let (status, text) = c.post("/actions/replay", origin, body).await;
        assert_eq!(status, 403, "{why}: {text}");
    }
    // Another Host (DNS rebinding), even for a GET.
    let r = c
        .http
        .get(format!("{own}/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = c
        .http
        .post(format!("{own}/actions/replay"))
        .header("host", "evil.example")
        .header("origin", "http://evil.example")
        .body(replay.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(
        c.fake.replays.lock().unwrap().is_empty(),
        "nothing refused was done"
    );

    let (status, location) = c.post("/actions/replay", Some(&own), &replay).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/event?source=stripe&id=evt_1&done=replayed");
    let done = c.fake.replays.lock().unwrap().clone();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].event_id.as_deref(), Some("evt_1"));
    assert_eq!(done[0].source.as_deref(), Some("stripe"));

    let (status, location) = c
        .post(
            "/actions/redeliver",
            Some(&own),
            &format!("source=groupgm&id=g1&token={TOKEN}"),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/event?source=groupgm&id=g1&done=redelivered")
    );
    assert_eq!(
        *c.fake.redelivered.lock().unwrap(),
        [("groupgm".to_owned(), "g1".to_owned())]
    );
    let (status, _) = c
        .post(
            "/actions/redeliver",
            Some(&own),
            &format!("token={TOKEN}&source=x&id=y"),
        )
        .await;
    assert_eq!(status, 404);
    // Send test is off here: said so, nothing sent.
    let (status, _) = c
        .post(
            "/actions/send",
            Some(&own),
            &format!("token={TOKEN}&source=bubble"),
        )
        .await;
    assert_eq!(status, 409);
    // GET never acts.
    let (status, _, _) = c.get(&format!("/actions/replay?{replay}")).await;
    assert_eq!(status, 405);
    assert_eq!(c.fake.replays.lock().unwrap().len(), 1);
}
