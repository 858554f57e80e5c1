//! `{ json = { file = "key.json", pointer = "/private_key" } }`: one field
//! of a JSON document that another source gives (a service-account key
//! file, a credentials JSON in an environment variable).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Source;

/// A JSON document's source and the JSON Pointer (RFC 6901) of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonField {
    #[serde(flatten)]
    pub from: Box<Source>,
    pub pointer: String,
}

/// The string (or number, or boolean, as written) at `pointer` in
/// `document`. Messages name the pointer, never a value.
pub fn extract(document: &str, pointer: &str) -> Result<String, String> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "`pointer` \"{pointer}\" is not a JSON Pointer: write it as \"/{pointer}\""
        ));
    }
    let doc: Value = serde_json::from_str(document)
        .map_err(|e| format!("it is not JSON (line {}, column {})", e.line(), e.column()))?;
    match doc.pointer(pointer) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("the field at `{pointer}` is empty")),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
        Some(_) => Err(format!("the field at `{pointer}` is not a string")),
        None => Err(format!("it has no field at `{pointer}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_taken_and_misses_name_the_pointer_only() {
        let doc = r#"{"private_key":"-----BEGIN hunter2","n":7,"o":{"a":"b"}}"#;
        assert_eq!(extract(doc, "/private_key").unwrap(), "-----BEGIN hunter2");
        assert_eq!(extract(doc, "/n").unwrap(), "7");
        assert_eq!(extract(doc, "/o/a").unwrap(), "b");
        for (pointer, want) in [
            ("/x", "no field at `/x`"),
            ("/o", "not a string"),
            ("private_key", "write it as \"/private_key\""),
        ] {
            let err = extract(doc, pointer).unwrap_err();
            assert!(err.contains(want) && !err.contains("hunter2"), "{err}");
        }
        let err = extract("hunter2 {", "/a").unwrap_err();
        assert!(
            err.contains("not JSON") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
