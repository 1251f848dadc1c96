//! What keeps other web pages away from the console: it listens on loopback only, answers only
//! requests addressed to its own host name (a DNS-rebinding page's requests carry the
//! attacker's name in `Host`), and carries out a POST only when its `Origin` is the console's
//! own and its form holds this process's random token (compared in constant time).

use std::net::{IpAddr, SocketAddr};
use subtle::ConstantTimeEq;

/// The form field that carries the token.
pub const TOKEN_FIELD: &str = "token";

/// Why a request was refused (the 403 page says it; never the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` is not one of the console's own names.
    Host,
    /// A POST without an `Origin`, or from another origin.
    Origin,
    /// A POST without the token, or with another one.
    Token,
}

impl Refusal {
    /// One line for the 403 page.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Host => {
                "this request was addressed to another host name: the console answers only to its own loopback address"
            }
            Refusal::Origin => {
                "this action came from another page than the console's own (Origin check): nothing was done"
            }
            Refusal::Token => {
                "this action's form token is missing or stale (the console restarted?): reload the page and confirm again; nothing was done"
            }
        }
    }
}

/// The listen address for `--host` and `--port`: loopback only.
pub fn listen_addr(host: &str, port: u16) -> Result<SocketAddr, String> {
    let ip: IpAddr = match host {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        h => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| {
                format!("--host `{h}`: give a loopback address (127.0.0.1, ::1 or localhost)")
            })?,
    };
    if !ip.is_loopback() {
        return Err(format!(
            "--host {ip} is not a loopback address: the console acts with your AWS credentials and shows \
             payloads, so it listens on loopback only (reach it from elsewhere through an SSH tunnel)"
        ));
    }
    Ok(SocketAddr::new(ip, port))
}

/// The console's own names and its token.
#[derive(Clone)]
pub struct Guard {
    token: String,
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// For a console bound to `addr` (its real port, after binding), with a fresh token.
    pub fn new(addr: SocketAddr) -> Result<Self, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no random token: {e}"))?;
        Ok(Self::with_token(addr, hex::encode(bytes)))
    }

    /// With a given token (tests).
    pub fn with_token(addr: SocketAddr, token: String) -> Self {
        let port = addr.port();
        let mut hosts = vec![match addr.ip() {
            IpAddr::V4(ip) => format!("{ip}:{port}"),
            IpAddr::V6(ip) => format!("[{ip}]:{port}"),
        }];
        // `localhost` names 127.0.0.1 and ::1 only.
        if addr.ip() == IpAddr::from([127, 0, 0, 1])
            || addr.ip() == IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])
        {
            hosts.push(format!("localhost:{port}"));
        }
        let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
        Self {
            token,
            hosts,
            origins,
        }
    }

    /// The token, for the hidden field of each action form.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The console's own origin (its first name), e.g. `http://127.0.0.1:8788`.
    pub fn origin(&self) -> &str {
        self.origins.first().map(String::as_str).unwrap_or_default()
    }

    /// Every request: `Host` must name the console itself.
    pub fn check_host(&self, host: Option<&str>) -> Result<(), Refusal> {
        match host {
            Some(h) if self.hosts.iter().any(|x| x.eq_ignore_ascii_case(h)) => Ok(()),
            _ => Err(Refusal::Host),
        }
    }

    /// A state-changing request: its `Origin` is the console's own, and the form's token is
    /// this process's. `Sec-Fetch-Site`, when the browser sends it, must say same-origin too.
    pub fn check_post(
        &self,
        origin: Option<&str>,
        fetch_site: Option<&str>,
        token: Option<&str>,
    ) -> Result<(), Refusal> {
        match origin {
            Some(o) if self.origins.iter().any(|x| x.eq_ignore_ascii_case(o)) => {}
            _ => return Err(Refusal::Origin),
        }
        if fetch_site.is_some_and(|s| s != "same-origin") {
            return Err(Refusal::Origin);
        }
        match token {
            Some(t) if bool::from(t.as_bytes().ct_eq(self.token.as_bytes())) => Ok(()),
            _ => Err(Refusal::Token),
        }
    }
}

/// The token field of an `application/x-www-form-urlencoded` body (the first one).
pub fn form_token(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == TOKEN_FIELD)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::with_token("127.0.0.1:8788".parse().unwrap(), "a".repeat(64))
    }

    #[test]
    fn only_loopback_listens() {
        assert_eq!(
            listen_addr("127.0.0.1", 1).unwrap().to_string(),
            "127.0.0.1:1"
        );
        assert_eq!(
            listen_addr("localhost", 2).unwrap().to_string(),
            "127.0.0.1:2"
        );
        assert_eq!(listen_addr("::1", 3).unwrap().to_string(), "[::1]:3");
        assert_eq!(listen_addr("[::1]", 3).unwrap().to_string(), "[::1]:3");
        assert!(listen_addr("127.1.2.3", 4).is_ok());
        for h in [
            "0.0.0.0",
            "::",
            "192.168.1.10",
            "10.0.0.1",
            "example.com",
            "",
        ] {
            let e = listen_addr(h, 5).unwrap_err();
            assert!(e.contains("loopback"), "{h}: {e}");
        }
    }

    #[test]
    fn host_must_be_the_consoles_own() {
        let g = guard();
        assert!(g.check_host(Some("127.0.0.1:8788")).is_ok());
        assert!(g.check_host(Some("LOCALHOST:8788")).is_ok());
        // DNS rebinding: the attacker's name resolving to 127.0.0.1.
        assert_eq!(g.check_host(Some("evil.example:8788")), Err(Refusal::Host));
        assert_eq!(g.check_host(Some("127.0.0.1:8789")), Err(Refusal::Host));
        assert_eq!(g.check_host(Some("127.0.0.1")), Err(Refusal::Host));
        assert_eq!(g.check_host(None), Err(Refusal::Host));
        let v6 = Guard::with_token("[::1]:9".parse().unwrap(), "t".into());
        assert!(v6.check_host(Some("[::1]:9")).is_ok());
        assert!(v6.check_host(Some("localhost:9")).is_ok());
        assert_eq!(v6.origin(), "http://[::1]:9");
        // Another loopback address is not `localhost`.
        let other = Guard::with_token("127.0.0.2:9".parse().unwrap(), "t".into());
        assert!(other.check_host(Some("localhost:9")).is_err());
    }

    #[test]
    fn a_post_needs_the_origin_and_the_token() {
        let g = guard();
        let t = "a".repeat(64);
        let own = Some("http://127.0.0.1:8788");
        assert!(g.check_post(own, Some("same-origin"), Some(&t)).is_ok());
        assert!(g
            .check_post(Some("http://localhost:8788"), None, Some(&t))
            .is_ok());
        // Cross-site, even with the right token (a leaked or guessed one).
        for o in [
            Some("https://evil.example"),
            Some("null"),
            Some("http://127.0.0.1:8789"),
            Some("http://127.0.0.1:8788.evil.example"),
            None,
        ] {
            assert_eq!(
                g.check_post(o, None, Some(&t)),
                Err(Refusal::Origin),
                "{o:?}"
            );
        }
        assert_eq!(
            g.check_post(own, Some("cross-site"), Some(&t)),
            Err(Refusal::Origin)
        );
        assert_eq!(
            g.check_post(own, Some("same-site"), Some(&t)),
            Err(Refusal::Origin)
        );
        // Right origin, no or wrong token.
        assert_eq!(g.check_post(own, None, None), Err(Refusal::Token));
        assert_eq!(g.check_post(own, None, Some("")), Err(Refusal::Token));
        assert_eq!(
            g.check_post(own, None, Some(&"a".repeat(63))),
            Err(Refusal::Token)
        );
        assert_eq!(
            g.check_post(own, None, Some(&"b".repeat(64))),
            Err(Refusal::Token)
        );
        assert_eq!(
            g.check_post(own, None, Some(&"a".repeat(65))),
            Err(Refusal::Token)
        );
    }

    #[test]
    fn tokens_are_random_and_never_printed() {
        let addr = "127.0.0.1:1".parse().unwrap();
        let (a, b) = (Guard::new(addr).unwrap(), Guard::new(addr).unwrap());
        assert_eq!(a.token().len(), 64);
        assert_ne!(a.token(), b.token());
        assert!(!format!("{a:?}").contains(a.token()));
    }

    #[test]
    fn token_is_read_from_the_form() {
        assert_eq!(
            form_token(b"source=x&token=ab%2Bc&token=z").as_deref(),
            Some("ab+c")
        );
        assert_eq!(form_token(b"source=x"), None);
        assert_eq!(form_token(b""), None);
    }
}
