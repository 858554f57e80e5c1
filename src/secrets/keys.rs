//! Which keys of a request or a reply hold a secret: the one
//! classification that `--verbose`, redaction and the written-out-secret
//! warning share.

/// Key names whose values are shown by `--verbose` as they are: everything
/// else a request carries is treated as a secret there.
pub fn is_public_key(key: &str) -> bool {
    const PUBLIC: [&str; 20] = [
        "grant_type",
        "client_assertion_type",
        "scope",
        "client_id",
        "audience",
        "resource",
        "username",
        "accept",
        "content-type",
        "user-agent",
        "device-info",
        "device_info",
        "debug",
        "response_type",
        "redirect_uri",
        // RFC 8693's token type URIs, and a requested lifetime ("3600s"):
        // kept as secrets, their values were also scrubbed from every
        // other line (`expires in (redacted)`).
        "subject_token_type",
        "actor_token_type",
        "requested_token_type",
        "issued_token_type",
        "lifetime",
    ];
    PUBLIC.iter().any(|p| p.eq_ignore_ascii_case(key))
}

/// Names of credentials, whose literal values are left out of the
/// fingerprint (a narrow list: everything else decides which token comes
/// back and must count).
pub fn is_credential_key(key: &str) -> bool {
    if is_address_key(key) {
        return false;
    }
    [
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "api-key",
        "authorization",
        "cookie",
        "assertion",
        "private_key",
    ]
    .iter()
    .any(|w| contains_ignoring_case(key, w))
        || key.eq_ignore_ascii_case("refresh_token")
        || key.eq_ignore_ascii_case("client_key")
}

/// Whether `text` holds `word` (lowercase ASCII), whatever the case of its
/// ASCII letters: `to_ascii_lowercase().contains(word)` without the copy
/// (every key of a profile is asked on every call, hits included).
fn contains_ignoring_case(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// Key names that look secret in a reply or a log line (broad: redaction
/// errs on the side of hiding).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if is_address_key(&k) {
        return false;
    }
    // One-time codes of the device and browser logins.
    matches!(k.as_str(), "code" | "device_code" | "code_verifier")
        || [
            "pass",
            "secret",
            "token",
            "key",
            "credential",
            "assertion",
            "auth",
            "pin",
        ]
        .iter()
        .any(|w| k.contains(w))
}

/// Keys that name an address (`authorization_url`, `token_uri`): never a
/// secret, whatever else their name holds (`authorization`, `token`).
pub fn is_address_key(key: &str) -> bool {
    // (`k == w || k.ends_with("_w")` of the lowercase key, without the copy)
    let k = key.as_bytes();
    ["url", "uri", "endpoint"].iter().any(|w| {
        let w = w.as_bytes();
        k.eq_ignore_ascii_case(w)
            || k.len() > w.len()
                && k[k.len() - w.len() - 1] == b'_'
                && k[k.len() - w.len()..].eq_ignore_ascii_case(w)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_no_secret_whatever_its_name_holds() {
        for key in [
            "authorization_url",
            "token_url",
            "token_endpoint",
            "AUTH_URI",
            "url",
        ] {
            assert!(!is_secret_key(key), "{key}");
            assert!(!is_credential_key(key), "{key}");
        }
        for key in ["authorization", "client_secret", "access_token", "api_key"] {
            assert!(is_secret_key(key), "{key}");
        }
        assert!(is_credential_key("authorization"));
    }

    #[test]
    fn token_types_and_lifetimes_are_shown() {
        for key in ["subject_token_type", "requested_token_type", "lifetime"] {
            assert!(is_public_key(key), "{key}");
            assert!(!is_credential_key(key), "{key}");
        }
        for key in ["subject_token", "actor_token"] {
            assert!(!is_public_key(key), "{key}");
        }
    }
}
