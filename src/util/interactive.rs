//! Whether a person can answer: the rule that decides if a device or
//! browser login (or a `{ prompt = ... }` secret) may start. The mode comes
//! from `--no-interactive` or `GETTOKEN_INTERACTIVE` (never, auto, always);
//! in `auto` a terminal on stderr or stdin, or kubectl's word in
//! `KUBERNETES_EXEC_INFO` (`spec.interactive`), says a person is there.

use std::sync::atomic::{AtomicU8, Ordering};

/// How gettoken decides whether a person can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Never start a login or ask a question.
    Never,
    /// Only when a terminal is there, or kubectl says the call is interactive.
    Auto,
    /// Always (a login's instructions go to stderr whoever reads it).
    Always,
}

/// The values `GETTOKEN_INTERACTIVE` takes.
pub const CHOICES: &str = "never, auto or always";

static MODE: AtomicU8 = AtomicU8::new(1);

pub fn set_mode(mode: Mode) {
    MODE.store(mode as u8, Ordering::Relaxed);
}

pub fn mode() -> Mode {
    match MODE.load(Ordering::Relaxed) {
        0 => Mode::Never,
        2 => Mode::Always,
        _ => Mode::Auto,
    }
}

/// `GETTOKEN_INTERACTIVE` as written; `None`: not one of [`CHOICES`].
pub fn parse_mode(text: &str) -> Option<Mode> {
    match text.trim().to_ascii_lowercase().as_str() {
        "never" | "no" | "false" | "0" => Some(Mode::Never),
        "auto" | "" => Some(Mode::Auto),
        "always" | "yes" | "true" | "1" => Some(Mode::Always),
        _ => None,
    }
}

/// kubectl's `spec.interactive` in `KUBERNETES_EXEC_INFO` (any apiVersion
/// of `client.authentication.k8s.io`); `None` when absent or not JSON.
/// The one place that reads it.
pub fn kubectl_interactive(exec_info: &str) -> Option<bool> {
    let json: serde_json::Value = serde_json::from_str(exec_info).ok()?;
    json.pointer("/spec/interactive")?.as_bool()
}

/// The rule, pure: whether a person can answer under `mode`.
pub fn decide(mode: Mode, terminal: bool, kubectl: Option<bool>) -> bool {
    match mode {
        Mode::Never => false,
        Mode::Always => true,
        Mode::Auto => terminal || kubectl == Some(true),
    }
}

/// Whether a terminal is on stderr or stdin.
pub fn terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() || std::io::stdin().is_terminal()
}

/// The rule applied to this process: its mode, terminals and environment.
pub fn person_can_answer() -> bool {
    let kubectl = std::env::var("KUBERNETES_EXEC_INFO")
        .ok()
        .and_then(|info| kubectl_interactive(&info));
    decide(mode(), terminal(), kubectl)
}

/// Why no one can answer, for messages: "no terminal", "--no-interactive
/// or GETTOKEN_INTERACTIVE=never".
pub fn why_not() -> &'static str {
    match mode() {
        Mode::Never => "--no-interactive or GETTOKEN_INTERACTIVE=never",
        _ => "no terminal on stdin or stderr, and kubectl did not say the call is interactive",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_needs_a_terminal_or_kubectl_s_word() {
        assert!(!decide(Mode::Auto, false, None));
        assert!(!decide(Mode::Auto, false, Some(false)));
        assert!(decide(Mode::Auto, true, None));
        assert!(decide(Mode::Auto, false, Some(true)));
        assert!(!decide(Mode::Never, true, Some(true)));
        assert!(decide(Mode::Always, false, Some(false)));
    }

    #[test]
    fn kubectl_s_exec_info_is_read_whatever_its_version() {
        for v in ["v1", "v1beta1"] {
            let info = format!(
                r#"{{"apiVersion":"client.authentication.k8s.io/{v}","kind":"ExecCredential","spec":{{"interactive":true}}}}"#
            );
            assert_eq!(kubectl_interactive(&info), Some(true));
        }
        assert_eq!(
            kubectl_interactive(r#"{"spec":{"interactive":false}}"#),
            Some(false)
        );
        assert_eq!(kubectl_interactive(r#"{"spec":{}}"#), None);
        assert_eq!(kubectl_interactive("not json"), None);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(parse_mode("never"), Some(Mode::Never));
        assert_eq!(parse_mode("AUTO"), Some(Mode::Auto));
        assert_eq!(parse_mode("always"), Some(Mode::Always));
        assert_eq!(parse_mode("sometimes"), None);
    }
}
