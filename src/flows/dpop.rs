//! DPoP (RFC 9449) on a profile's token requests: its key (read from
//! `dpop_key`, or made on first use and kept among the stored secrets),
//! a fresh proof on every request to the token endpoint, one more try with
//! the server's `DPoP-Nonce` when it answers `use_dpop_nonce`, and the
//! token marked as bound to the key. Proofs are built by
//! `protocol::dpop`, with the time and a random `jti` given here.

use std::cell::RefCell;

use crate::config::{Dpop, Profile};
use crate::error::Failure;
use crate::http::{Reply, Transport};
use crate::protocol::dpop::{self, Key};
use crate::protocol::request::TokenRequest;
use crate::protocol::token::Token;
use crate::secrets::{Resolve, Secret, redact};
use crate::util::clock::Clock;

/// The profile's DPoP key: `dpop_key` when set, else the one kept as
/// secret `dpop/PROFILE`, made now when there is none. A key that cannot
/// be read or does not fit `dpop_alg` is exit 2.
pub fn key(profile: &Profile, dpop: &Dpop, resolver: &mut dyn Resolve) -> anyhow::Result<Key> {
    let name = &profile.name;
    if let Some(text) = &dpop.key {
        let pem = resolver.resolve(text, "dpop_key")?;
        redact::register(&pem);
        return Key::from_pem(pem, dpop.alg, "`dpop_key`")
            .map_err(|e| Failure::usage(format!("profile `{name}`: {e}")).into());
    }
    let stored = Dpop::stored_name(name);
    if let Some(pem) = resolver.kept(&stored)? {
        redact::register(&pem);
        return Key::from_pem(pem, dpop.alg, &format!("the DPoP key (secret `{stored}`)"))
            .map_err(|e| {
                Failure::usage(format!(
                    "profile `{name}`: {e}; `gettoken secret delete {stored}` drops it, and a new one is made on the next request"
                ))
                .into()
            });
    }
    let pem = crate::util::jws::generate_pem(dpop.alg).ok_or_else(|| {
        Failure::usage(format!(
            "profile `{name}`: no DPoP key is made for {}: set `dpop_key`",
            dpop.alg.name()
        ))
    })?;
    let pem = Secret::new(pem);
    redact::register(&pem);
    resolver.store_secret(&stored, &pem).map_err(|e| {
        Failure::usage(format!("profile `{name}`: a new DPoP key cannot be kept: {e:#}")).with_hint(
            "give the profile a key of its own: `dpop_key = { file = \"...\" }` (a PEM PKCS#8 private key)",
        )
    })?;
    crate::log::debug!(
        "made a {} DPoP key for `{name}`, kept as secret `{stored}`",
        dpop.alg.name()
    );
    Key::from_pem(pem, dpop.alg, "the new DPoP key")
        .map_err(|e| Failure::usage(format!("profile `{name}`: {e}")).into())
}

/// A transport that adds a DPoP proof to each request to the token
/// endpoint and passes anything else (discovery) on as it is.
pub struct Proving<'a> {
    inner: &'a dyn Transport,
    key: &'a Key,
    token_url: String,
    /// The last `DPoP-Nonce` the endpoint gave, sent in later proofs.
    nonce: RefCell<Option<String>>,
    clock: Clock,
}

impl<'a> Proving<'a> {
    pub fn new(inner: &'a dyn Transport, key: &'a Key, token_url: &str, clock: Clock) -> Self {
        Proving {
            inner,
            key,
            token_url: token_url.to_string(),
            nonce: RefCell::new(None),
            clock,
        }
    }

    /// `req` with a fresh proof in its `DPoP` header.
    fn proven(&self, req: &TokenRequest) -> anyhow::Result<TokenRequest> {
        let nonce = self.nonce.borrow().clone();
        let proof = dpop::proof(
            self.key,
            &dpop::Request {
                method: req.method.as_str(),
                url: &req.url,
                nonce: nonce.as_deref(),
                access_token: None,
            },
            (self.clock)(),
            crate::util::random::token(),
        )
        .map_err(Failure::usage)?;
        let mut req = req.clone();
        req.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("DPoP"));
        let proof = Secret::new(proof);
        redact::register(&proof);
        req.headers
            .push(("DPoP".into(), proof.expose().to_string()));
        req.secrets.push(proof);
        Ok(req)
    }

    /// Keeps the reply's `DPoP-Nonce`, if it gives a usable one; whether
    /// it gave one.
    fn remember_nonce(&self, reply: &Reply) -> bool {
        let given = reply
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("DPoP-Nonce"))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| dpop::valid_nonce(v));
        let gave = given.is_some();
        if gave {
            *self.nonce.borrow_mut() = given;
        }
        gave
    }
}

impl Transport for Proving<'_> {
    fn send(&self, req: &TokenRequest) -> anyhow::Result<Reply> {
        if req.method != reqwest::Method::POST || req.url != self.token_url {
            return self.inner.send(req);
        }
        // A proof of its own for each try the transport makes.
        let proven = |r: &TokenRequest| self.proven(r);
        let reply = self.inner.send_each(req, &proven)?;
        let gave = self.remember_nonce(&reply);
        if gave && dpop::asks_for_nonce(reply.status, &reply.body) {
            crate::log::debug!("the token endpoint asks for a DPoP nonce; sending again with it");
            let reply = self.inner.send_each(req, &proven)?;
            self.remember_nonce(&reply);
            return Ok(reply);
        }
        Ok(reply)
    }

    fn get_json(&self, url: &str) -> anyhow::Result<Reply> {
        self.inner.get_json(url)
    }
}

/// Marks `token` as bound to `key` when the endpoint says it is
/// (`token_type` DPoP); a `Bearer` reply is an endpoint that did not bind.
pub fn bind(profile: &Profile, token: &mut Token, key: &Key) {
    let bound = token
        .token_type
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("DPoP"));
    if bound {
        token.dpop_jkt = Some(key.jkt.clone());
    } else {
        token.dpop_jkt = None;
        crate::log::debug!(
            "the endpoint sent token_type {:?} for `{}`, not \"DPoP\": the token is not bound to the DPoP key",
            token.token_type.as_deref().unwrap_or("(none)"),
            profile.name
        );
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use zeroize::Zeroizing;

    use super::*;
    use crate::util::jws::{SigningAlg, generate_pem};

    /// Answers with `replies` in order and keeps what it was sent.
    struct Scripted {
        replies: RefCell<Vec<(u16, &'static str, Option<&'static str>)>>,
        sent: RefCell<Vec<TokenRequest>>,
    }

    impl Transport for Scripted {
        fn send(&self, req: &TokenRequest) -> anyhow::Result<Reply> {
            self.sent.borrow_mut().push(req.clone());
            let (status, body, nonce) = self.replies.borrow_mut().remove(0);
            Ok(Reply {
                status,
                body: Zeroizing::new(body.as_bytes().to_vec()),
                retry_after: None,
                content_type: Some("application/json".into()),
                headers: nonce
                    .map(|n| vec![("dpop-nonce".to_string(), n.to_string())])
                    .unwrap_or_default(),
            })
        }
    }

    fn post(url: &str) -> TokenRequest {
        TokenRequest {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: vec![],
            body: Some(b"grant_type=client_credentials".to_vec()),
            secrets: vec![],
            once: false,
        }
    }

    fn claims(req: &TokenRequest) -> serde_json::Value {
        let proof = &req.headers.iter().find(|(n, _)| n == "DPoP").unwrap().1;
        let part = proof.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    const NONCE_PLEASE: &str = r#"{"error":"use_dpop_nonce"}"#;

    #[test]
    fn a_nonce_demand_is_answered_once_and_the_nonce_kept() {
        let pem = generate_pem(SigningAlg::ES256).unwrap();
        let key = Key::from_pem(Secret::new(pem), SigningAlg::ES256, "k").unwrap();
        let inner = Scripted {
            replies: RefCell::new(vec![
                (400, NONCE_PLEASE, Some("n1")),
                (200, "{}", Some("n2")),
                (400, NONCE_PLEASE, Some("n3")),
                (400, NONCE_PLEASE, Some("n4")),
                (200, "{}", None),
            ]),
            sent: RefCell::new(vec![]),
        };
        let url = "https://as.example/token";
        let proving = Proving::new(&inner, &key, url, || 1000);
        assert_eq!(proving.send(&post(url)).unwrap().status, 200);
        // The next request carries the nonce of the last reply; asked
        // again, once more only.
        assert_eq!(proving.send(&post(url)).unwrap().status, 400);
        // Anything but the token endpoint goes as it is.
        proving.send(&post("https://as.example/device")).unwrap();
        let sent = inner.sent.borrow();
        assert_eq!(sent.len(), 5);
        assert!(claims(&sent[0]).get("nonce").is_none());
        assert_eq!(claims(&sent[1])["nonce"], "n1");
        assert_eq!(claims(&sent[2])["nonce"], "n2");
        assert_eq!(claims(&sent[3])["nonce"], "n3");
        assert_ne!(claims(&sent[0])["jti"], claims(&sent[1])["jti"]);
        assert_eq!(claims(&sent[1])["htu"], url);
        assert_eq!(claims(&sent[1])["iat"], 1000);
        assert!(sent[4].headers.is_empty());
        // The proof is registered as a secret of the request (redacted in -v).
        assert!(sent[1].secrets.iter().any(|s| s.expose().starts_with("ey")));
    }
}
