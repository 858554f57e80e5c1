//! kubectl's side of the exec credential plugin protocol: what it says in
//! `KUBERNETES_EXEC_INFO` (the `ExecCredential` apiVersion it reads back,
//! and whether the user can be asked anything). Pure: the caller reads the
//! variable.

use serde::Deserialize;

use crate::util::text::escape_for_terminal;

/// The apiVersions of `ExecCredential` gettoken writes; the first is the
/// default when kubectl says none (`KUBERNETES_EXEC_INFO` unset).
pub const API_VERSIONS: [&str; 2] = [
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
];

/// What kubectl asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecInfo {
    /// One of [`API_VERSIONS`]: the answer carries the same.
    pub api_version: &'static str,
    /// `spec.interactive`: `false` when kubectl has no terminal to give the
    /// plugin, so no login that waits on the user may start. `None` when
    /// kubectl did not say (v1beta1 of kubectl before 1.22).
    pub interactive: Option<bool>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    spec: Option<Spec>,
}

#[derive(Deserialize)]
struct Spec {
    interactive: Option<bool>,
}

/// Reads `KUBERNETES_EXEC_INFO` (`None`: unset or empty, the v1 default).
/// An apiVersion gettoken does not write is an error that names it.
pub fn parse(text: Option<&str>) -> Result<ExecInfo, String> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let Some(text) = text else {
        return Ok(ExecInfo {
            api_version: API_VERSIONS[0],
            interactive: None,
        });
    };
    let raw: Raw = serde_json::from_str(text)
        .map_err(|e| format!("KUBERNETES_EXEC_INFO is not an ExecCredential in JSON: {e}"))?;
    let api_version = match raw.api_version.as_deref() {
        None | Some("") => API_VERSIONS[0],
        Some(v) => API_VERSIONS.into_iter().find(|known| *known == v).ok_or_else(|| {
            format!(
                "kubectl asks for an ExecCredential of apiVersion `{}`: gettoken writes {} (set `apiVersion` in the kubeconfig's `exec` section to one of them)",
                escape_for_terminal(v),
                API_VERSIONS.join(" or ")
            )
        })?,
    };
    Ok(ExecInfo {
        api_version,
        interactive: raw.spec.and_then(|s| s.interactive),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_v1_and_unknown_interactivity() {
        for text in [None, Some(""), Some("  ")] {
            let info = parse(text).unwrap();
            assert_eq!(info.api_version, "client.authentication.k8s.io/v1");
            assert_eq!(info.interactive, None);
        }
    }

    #[test]
    fn echoes_v1_and_v1beta1_and_reads_interactive() {
        let info = parse(Some(
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#,
        ))
        .unwrap();
        assert_eq!(info.api_version, "client.authentication.k8s.io/v1beta1");
        assert_eq!(info.interactive, Some(false));
        let info = parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true,"cluster":{"server":"x"}}}"#,
        ))
        .unwrap();
        assert_eq!(info.api_version, "client.authentication.k8s.io/v1");
        assert_eq!(info.interactive, Some(true));
        // kubectl 1.20 sends v1beta1 with an empty spec.
        let info = parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}"#,
        ))
        .unwrap();
        assert_eq!(info.interactive, None);
    }

    #[test]
    fn other_versions_and_bad_json_are_errors() {
        let err = parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
        ))
        .unwrap_err();
        assert!(err.contains("v1alpha1") && err.contains("v1beta1"), "{err}");
        assert!(
            parse(Some("{"))
                .unwrap_err()
                .contains("not an ExecCredential")
        );
    }
}
