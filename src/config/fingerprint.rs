//! The fingerprint: a profile's cache identity. A cached token is served
//! only to a profile with the same fingerprint, so it must follow exactly
//! the settings that decide which token comes back, and never move for an
//! unchanged profile.

use super::raw::RawProfile;
use crate::secrets::Source;
use crate::secrets::keys::is_credential_key;

/// A stable digest of the settings that decide which token comes back.
/// Literal values of secret-looking keys are left out, so the digest never
/// depends on (or reveals anything of) a secret.
///
/// The digest is of the whole table, unset keys included (as `null`): a
/// key added to the table moves every fingerprint unless it is left out
/// here when unset. `fingerprints_of_existing_profiles_never_move` fails
/// if one moves.
pub fn fingerprint(raw: &RawProfile) -> String {
    // Keys marked `Ignored` in the table of keys (`config/raw.rs`) change
    // how a token is shown, kept or fetched, not which one.
    let r = raw.identity();
    let mut value = serde_json::to_value(&r).unwrap_or_default();
    mask_secrets(&mut value, false);
    fnv1a64(value.to_string().as_bytes())
}

fn mask_secrets(value: &mut serde_json::Value, secret_key: bool) {
    match value {
        serde_json::Value::String(s) if secret_key => *s = "(literal)".into(),
        serde_json::Value::Object(map) => {
            // A secret source ({ env = ... }) is a reference: kept as is.
            if map.len() == 1 && map.keys().all(|k| Source::KEYS.contains(&k.as_str())) {
                return;
            }
            for (k, v) in map.iter_mut() {
                // `response` holds paths into the reply, not values.
                if k != "response" {
                    mask_secrets(v, secret_key || is_credential_key(k));
                }
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| mask_secrets(v, secret_key))
        }
        _ => {}
    }
}

fn fnv1a64(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}
