//! Unguessable values: PKCE verifiers, `state`, assertion ids.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

/// 32 random bytes as base64url (43 characters, the charset RFC 7636
/// allows for a code verifier).
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}
