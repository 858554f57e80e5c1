//! Tests of client assertions: the JWT's parts, and signatures checked
//! with ring's verifiers (the server side of RFC 7523 is proven end to end
//! against the OIDC test server).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

use super::*;

/// A throwaway RSA key made for this test (PKCS#1 PEM); never used anywhere else.
const TEST_RSA_PKCS1: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIEowIBAAKCAQEAqMHIVOhD2xvL9/FtMNA1nr/sUsZESVB9h3DfqcuGPgqOCA3l\n\
FPTWmDiFznMb0DbL+/Nq+Wc0OWkKhefRXQv83P8T6oF3r/0cv1TM9kdrVIyTnzDY\n\
XNKftDwraMKHORNYQ/m0fD5lCkHlRytd1Eeq5VAKk8qhzMXgMou+4FFofefo22BT\n\
EWLIni/zafQ60KdxnfPWyD9xQprH+eXczh6gWIM0A+CbsAea9iDAL3PoIDxaCDSG\n\
YR5Q1bT/zwnIDndzg+214qaYQa24X3RqJvdUod4gm/vWMtKLSuwCVcKQzc0wl03D\n\
RjKELW5SgcEgXqiUGuyM3HQAq1r1e7sZfpNHwwIDAQABAoIBAErcf/KOgH+D8rUg\n\
T9heHNM5/2tu0Z8WSkFZhJatlvURuJUBGPT1cfbf6Be/v4BbtpyjjHpr2mJ3Yvgo\n\
8JrOtRMSQrL+UOpspaKIy02bPBUrMVdmkyyGMNuC75zO4q6ikr7A2FxfT3I/7iZm\n\
qf5/9mM4YSDTvHf69axmiru20Vw8WnFJHW6WIU9Vvwrtfl2QyAPicQHSlUXYkn/h\n\
C9Jp0khT+fqB713hz+CBG1tDo0b8Pr25Ss7xfBnFA/8IoYUO7GLHOHYb5dDfn3iN\n\
0GWBEjCGLIJGRzvaY/9X5m4op1nt8JvdQUqE5anObNS9FVZrfydJ6CDzTKW2W/Mh\n\
S7KPgt0CgYEA1sSFptKV7+hVR7f90FJLsfOso1SWmTXFzdJyph+Onbuardaqk1by\n\
Z5YtQ+25Jy6ef6yuKmIOLum5rRO+J3YP0qZc+WVlLPl7/CkzU37FELaeP/Tzd4nQ\n\
Gbzzf9hcbF0hzusIKK3+VfAnzNmXolEOBnUaJexpGKk7IrK2yBmyfdUCgYEAySfo\n\
+t92MjpmSdv8oVEKCoP057H0Kn0PcXBwZOBTcrqCplbPMYUhkNobR2uItPQ1rBfj\n\
kgnY5i/c5KcZRa43ecD2xMyApey7OO2Xsjak9ejXp42eBlkTbApMKibdq0m05mfL\n\
6xaY7G77bm5FRfdM+J6mMugj5mj0qnSvCZldwzcCgYBAgjT238gDkJCVAzHssdtk\n\
ryGKyayWhm1MnkqrlUz8Gc6jKph/ux0CejxMbAoyN7GJ/e8ucdd6xd9smkKCjdbA\n\
2hGRI6CZOrLAEgwFp00/8OploYjDvhRQts2Y9/8C2ZJ/GV+RAHoljAYYZL9EFP6W\n\
d/QLsg/7RVGq4W0/e2B+pQKBgQCH+znM9ekB9WaWgWcbahwelaumQS8s1dPtvLPO\n\
DbN7uEd/yOlRsYzKThboxfHpWbk6t/94Br4ghbSOwcMczrPj06U9zn0dLZY22q6U\n\
o8oKDrhSJTLxWZ/+hkuMpy9sjmwC4aIBLwp7sl63/UVJEe9vllgFy9YQ+VyEKlL1\n\
az7uKwKBgDWzZsRZ7PDA7vld9SWM/gbTe8kkK91Q1lS8mTNSiYJ8rzshvp8nCnsF\n\
vnioH5NDONQcRjWQKVHAp4HgOe3VwoUm+AFOKMrfHIVr++QyMWS5FjLSox3bMAB+\n\
ifitLs4WDCf8bdrg7VbKnMdDJrc7Cem3UltcZ4qOdjxBVznqecn3\n\
-----END RSA PRIVATE KEY-----\n";
/// Its public key, PKCS#1 DER, base64.
const TEST_RSA_PUBLIC: &str = "MIIBCgKCAQEAqMHIVOhD2xvL9/FtMNA1nr/sUsZESVB9h3DfqcuGPgqOCA3lFPTWmDiFznMb0DbL+/Nq+Wc0OWkKhefRXQv83P8T6oF3r/0cv1TM9kdrVIyTnzDYXNKftDwraMKHORNYQ/m0fD5lCkHlRytd1Eeq5VAKk8qhzMXgMou+4FFofefo22BTEWLIni/zafQ60KdxnfPWyD9xQprH+eXczh6gWIM0A+CbsAea9iDAL3PoIDxaCDSGYR5Q1bT/zwnIDndzg+214qaYQa24X3RqJvdUod4gm/vWMtKLSuwCVcKQzc0wl03DRjKELW5SgcEgXqiUGuyM3HQAq1r1e7sZfpNHwwIDAQAB";

const CLAIMS: Claims<'static> = Claims {
    client_id: "my-client",
    audience: "https://login.example/token",
    now: 1_700_000_000,
    jti: "unique-1",
};

fn parts(jwt: &str) -> (serde_json::Value, serde_json::Value, Vec<u8>, String) {
    let p: Vec<&str> = jwt.split('.').collect();
    assert_eq!(p.len(), 3, "{jwt}");
    let json = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (
        json(p[0]),
        json(p[1]),
        URL_SAFE_NO_PAD.decode(p[2]).unwrap(),
        format!("{}.{}", p[0], p[1]),
    )
}

#[test]
fn rs256_from_a_pkcs1_key_verifies_and_says_what_rfc_7523_asks() {
    let jwt = sign(
        TEST_RSA_PKCS1,
        None,
        &Header {
            kid: Some("key-7"),
            ..Header::default()
        },
        &CLAIMS,
    )
    .unwrap();
    let (header, claims, signature, input) = parts(&jwt);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], "key-7");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], "my-client");
    assert_eq!(claims["sub"], "my-client");
    assert_eq!(claims["aud"], "https://login.example/token");
    assert_eq!(claims["jti"], "unique-1");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["exp"], 1_700_000_060);
    let public = STANDARD.decode(TEST_RSA_PUBLIC).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
        .verify(input.as_bytes(), &signature)
        .expect("a valid RS256 signature");
}

#[test]
fn es256_from_a_pkcs8_key_is_a_fixed_width_signature_that_verifies() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let jwt = sign(&key.serialize_pem(), None, &Header::default(), &CLAIMS).unwrap();
    let (header, _, signature, input) = parts(&jwt);
    assert_eq!(header["alg"], "ES256");
    assert!(header.get("kid").is_none());
    assert_eq!(signature.len(), 64);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key_raw())
        .verify(input.as_bytes(), &signature)
        .expect("a valid ES256 signature");
}

#[test]
fn a_chosen_algorithm_is_used_or_refused_when_the_key_does_not_fit() {
    let jwt = sign(
        TEST_RSA_PKCS1,
        Some(SigningAlg::PS256),
        &Header::default(),
        &CLAIMS,
    )
    .unwrap();
    assert_eq!(parts(&jwt).0["alg"], "PS256");
    let err = sign(
        TEST_RSA_PKCS1,
        Some(SigningAlg::ES256),
        &Header::default(),
        &CLAIMS,
    )
    .unwrap_err();
    assert!(err.contains("does not fit"), "{err}");
}

#[test]
fn what_is_not_a_key_is_refused_without_echoing_it() {
    for text in [
        "",
        "hunter2-not-a-key",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ] {
        let err = sign(text, None, &Header::default(), &CLAIMS).unwrap_err();
        assert!(err.contains("private_key"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
