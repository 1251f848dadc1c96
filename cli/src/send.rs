//! `hookwell send`: sign a sample (or given) payload exactly as the provider does and POST it:
//! the "send test" button of a provider dashboard.

use hookwell::{samples, Sources};
use time::OffsetDateTime;

/// One delivery, ready to POST (and to POST again, byte for byte, as a provider retry).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub event: String,
    /// What `tamper` changes: the body for signatures over it, else the token itself.
    credential: Credential,
}

/// Where a delivery's proof of origin is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Credential {
    /// A signature over the body: changing one body bit must fail it.
    Body,
    /// A token in this header (Telegram), independent of the body.
    Header(String),
    /// A token at the end of the URL.
    Url,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no source `{0}` in the configuration (known: {1})")]
    UnknownSource(String, String),
    #[error("no sample for `{0}`{1} (samples are the providers' documented bodies: {2}); pass --body FILE")]
    NoSample(String, String, String),
    #[error("{0}")]
    Sign(String),
    #[error("request failed: {0}")]
    Http(String),
    #[error("the receiver did not accept the delivery")]
    NotAccepted,
    #[error("the receiver ACCEPTED a tampered delivery: its signature check is broken")]
    TamperedAccepted,
}

/// One line for a receiver's answer: the event id, or the error code and message.
pub fn describe_answer(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    match (v.get("event_id"), v.get("error")) {
        (Some(id), _) => format!("accepted  event_id={}", id.as_str().unwrap_or_default()),
        (_, Some(err)) => format!(
            "{}  {}",
            err.as_str().unwrap_or_default(),
            v.get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
        ),
        _ => text.chars().take(200).collect(),
    }
}

/// The exit status of `hookwell send`: success when the receiver did what it should, every
/// delivery accepted (2xx), or with `--tamper` every delivery refused.
pub fn verdict(tampered: bool, statuses: &[u16]) -> Result<(), SendError> {
    let ok = |s: &u16| (200..300).contains(s);
    match (tampered, statuses.iter().all(ok), statuses.iter().any(ok)) {
        (true, _, true) => Err(SendError::TamperedAccepted),
        (false, false, _) => Err(SendError::NotAccepted),
        _ => Ok(()),
    }
}

/// Default ingest URL of the local stack (cargo lambda watch on port 9000).
pub const LOCAL_INGEST: &str = "http://127.0.0.1:9000/lambda-url/ingest";

/// Builds and signs one delivery for `source`. `base` is the ingest base URL (without
/// `/webhooks/...`). `seed` makes the sample's ids unique.
pub fn prepare(
    sources: &Sources,
    source: &str,
    event: Option<&str>,
    body: Option<Vec<u8>>,
    base: &str,
    now: OffsetDateTime,
    seed: u64,
) -> Result<Delivery, SendError> {
    prepare_at(sources, source, event, body, base, (now, now), seed)
}

/// As [`prepare`], with the sample's time apart from the signing time: `(rendered, signed)`.
/// A provider's retry resends the event it rendered earlier (same bytes, same id) under a
/// fresh signature.
pub fn prepare_at(
    sources: &Sources,
    source: &str,
    event: Option<&str>,
    body: Option<Vec<u8>>,
    base: &str,
    (rendered, now): (OffsetDateTime, OffsetDateTime),
    seed: u64,
) -> Result<Delivery, SendError> {
    let src = lookup(sources, source)?;
    let sample = samples::for_source(source, src).find(|s| event.is_none_or(|e| s.1 == e));
    let (body, mut headers, event_name) = match (body, sample) {
        (Some(b), sample) => {
            // The provider's own headers for the event `--event` names, when there is a
            // sample of it (GitHub's `X-GitHub-Event` and a fresh `X-GitHub-Delivery`): a file
            // of GitHub's push is then sent as GitHub sends a push.
            let headers = match (event, sample) {
                (Some(_), Some((_, _, _, hdrs))) => hdrs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), samples::render(v, rendered, seed)))
                    .collect(),
                _ => Vec::new(),
            };
            // The file's own event type, as the receiver will read it.
            let name = match event {
                Some(e) => e.to_owned(),
                None => match src.identity().identify(&|_| None, &b) {
                    Ok(hookwell::identity::Found::Events(evs)) => evs
                        .first()
                        .map_or_else(|| "custom".to_owned(), |e| e.event_type.clone()),
                    _ => "custom".to_owned(),
                },
            };
            (b, headers, name)
        }
        (None, Some((_, ev, tpl, hdrs))) => (
            samples::render(tpl, rendered, seed).into_bytes(),
            hdrs.iter()
                .map(|(k, v)| ((*k).to_owned(), samples::render(v, rendered, seed)))
                .collect(),
            (*ev).to_owned(),
        ),
        (None, None) => {
            let mut known: Vec<&str> = samples::for_source(source, src).map(|s| s.1).collect();
            known.sort_unstable();
            known.dedup();
            return Err(SendError::NoSample(
                source.to_owned(),
                event.map(|e| format!(" event `{e}`")).unwrap_or_default(),
                if known.is_empty() {
                    "none for this source".to_owned()
                } else {
                    known.join(", ")
                },
            ));
        }
    };
    let secret = src.signing_secret().ok_or_else(|| {
        SendError::Sign(
            "this source's secrets are public keys: give it a `signing_key` (a local stack's \
             test key) to sign with"
                .into(),
        )
    })?;
    let msg_id = format!("msg_{seed:016x}");
    headers.extend(
        src.scheme()
            .sign(secret, &body, now.unix_timestamp(), &msg_id)
            .map_err(|e| SendError::Sign(e.to_string()))?,
    );
    headers.push(("content-type".into(), content_type(&body).into()));
    let mut url = format!("{}/webhooks/{source}", base.trim_end_matches('/'));
    let credential = match src.scheme() {
        hookwell::scheme::Scheme::UrlToken => {
            url.push('/');
            url.push_str(secret.expose());
            Credential::Url
        }
        hookwell::scheme::Scheme::HeaderToken { header } => Credential::Header(header.clone()),
        _ => Credential::Body,
    };
    Ok(Delivery {
        url,
        headers,
        body,
        event: event_name,
        credential,
    })
}

/// Sends `source`'s subscription handshake as its platform does (Meta: `GET
/// ?hub.mode=subscribe&hub.challenge=...&hub.verify_token=...`, with a wrong token when
/// `wrong_token`). Returns the status, the answer, and whether the answer was the challenge.
pub async fn handshake(
    sources: &Sources,
    source: &str,
    base: &str,
    wrong_token: bool,
    seed: u64,
    client: &reqwest::Client,
) -> Result<(u16, String, bool), SendError> {
    let src = lookup(sources, source)?;
    let hookwell::platform::Platform::Meta { verify_token } = src.platform() else {
        return Err(SendError::Sign(format!(
            "source `{source}` has no GET handshake (Meta's scheme has one; Slack's, Zoom's \
             and Discord's are POSTed samples: --event)"
        )));
    };
    let challenge = (seed % 9_000_000_000 + 1_000_000_000).to_string();
    let mut token = verify_token.expose().to_owned();
    if wrong_token {
        token.push('x');
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.challenge", &challenge)
        .append_pair("hub.verify_token", &token)
        .finish();
    let url = format!("{}/webhooks/{source}?{query}", base.trim_end_matches('/'));
    let (status, text) = exchange(client.get(url)).await?;
    let ok = status == 200 && text == challenge;
    Ok((status, text, ok))
}

/// The source named `source`, or an error listing the configured ones.
fn lookup<'a>(sources: &'a Sources, source: &str) -> Result<&'a hookwell::Source, SendError> {
    sources.get(source).ok_or_else(|| {
        SendError::UnknownSource(
            source.to_owned(),
            sources.names().collect::<Vec<_>>().join(", "),
        )
    })
}

fn content_type(body: &[u8]) -> &'static str {
    match body.first() {
        Some(b'{') | Some(b'[') => "application/json",
        _ => "application/x-www-form-urlencoded",
    }
}

impl Delivery {
    /// Flips one bit in the middle of the body, after signing: what a man in the middle or a
    /// broken proxy would do. For a token that does not cover the body (a URL token,
    /// Telegram's header), the token's last character is changed instead. The receiver must
    /// answer 401.
    pub fn tamper(&mut self) {
        let flip = |s: &mut String| {
            if let Some(c) = s.pop() {
                s.push(if c == 'x' { 'y' } else { 'x' });
            }
        };
        match &self.credential {
            Credential::Body => {
                let at = self.body.len() / 2;
                if let Some(b) = self.body.get_mut(at) {
                    *b ^= 0x01;
                }
            }
            Credential::Header(name) => {
                for (k, v) in &mut self.headers {
                    if k.eq_ignore_ascii_case(name) {
                        flip(v);
                    }
                }
            }
            Credential::Url => flip(&mut self.url),
        }
    }

    pub async fn post(&self, client: &reqwest::Client) -> Result<(u16, String), SendError> {
        let mut req = client.post(&self.url).body(self.body.clone());
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        exchange(req).await
    }
}

/// Sends a request and reads the whole answer; errors never name the URL (it may hold a token).
async fn exchange(req: reqwest::RequestBuilder) -> Result<(u16, String), SendError> {
    let resp = req
        .send()
        .await
        .map_err(|e| SendError::Http(e.without_url().to_string()))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| SendError::Http(e.without_url().to_string()))?;
    Ok((status, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_fails_when_the_receiver_does_the_wrong_thing() {
        assert!(verdict(false, &[200, 200]).is_ok());
        assert!(matches!(
            verdict(false, &[200, 503]),
            Err(SendError::NotAccepted)
        ));
        assert!(verdict(true, &[401]).is_ok());
        assert!(matches!(
            verdict(true, &[401, 200]),
            Err(SendError::TamperedAccepted)
        ));
    }

    /// Bubble documents only MESSAGE_CREATE's body: asking for another type says so and
    /// sends nothing invented.
    #[test]
    fn an_undocumented_event_has_no_sample() {
        let sources = Sources::from_json(
            r#"{"sources":{"bubble":{"scheme":"bubble","secrets":["s"]},
                "zeta":{"scheme":"hmac","hmac":{"header":"x-sig"},"secrets":["s"]}}}"#,
        )
        .unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        let err = prepare(
            &sources,
            "bubble",
            Some("GUILD_MEMBER_ADD"),
            None,
            "http://x",
            now,
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`GUILD_MEMBER_ADD`") && err.contains("bodies: MESSAGE_CREATE)"),
            "{err}"
        );
        assert!(err.contains("--body FILE"), "{err}");
        let ok = prepare(
            &sources,
            "bubble",
            Some("GUILD_MEMBER_ADD"),
            Some(b"{}".to_vec()),
            "http://x",
            now,
            1,
        );
        assert_eq!(ok.unwrap().event, "GUILD_MEMBER_ADD");
        // Without --event, a file's type is read as the receiver reads it.
        let file = prepare(
            &sources,
            "bubble",
            None,
            Some(br#"{"type":"GUILD_MEMBER_REMOVE","data":{}}"#.to_vec()),
            "http://x",
            now,
            1,
        );
        assert_eq!(file.unwrap().event, "GUILD_MEMBER_REMOVE");
        let err = prepare(&sources, "zeta", None, None, "http://x", now, 1).unwrap_err();
        assert!(err.to_string().contains("none for this source"), "{err}");
    }

    /// A file sent with `--event` goes out with the provider's headers for that event.
    #[test]
    fn a_file_with_a_sampled_event_gets_the_providers_headers() {
        let sources =
            Sources::from_json(r#"{"sources":{"github":{"scheme":"github","secrets":["s"]}}}"#)
                .unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        let body = br#"{"ref":"refs/heads/main","commits":[]}"#.to_vec();
        let d = prepare(
            &sources,
            "github",
            Some("push"),
            Some(body.clone()),
            "http://x",
            now,
            3,
        )
        .unwrap();
        let header = |d: &Delivery, k: &str| {
            d.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header(&d, "x-github-event").as_deref(), Some("push"));
        assert!(header(&d, "x-github-delivery").is_some_and(|v| v.len() == 36));
        assert_eq!(d.body, body);
        // Without --event, the file is sent as it is, with the signature only.
        let plain = prepare(&sources, "github", None, Some(body), "http://x", now, 3).unwrap();
        assert_eq!(header(&plain, "x-github-event"), None);
        assert!(header(&plain, "x-hub-signature-256").is_some());
    }
}
