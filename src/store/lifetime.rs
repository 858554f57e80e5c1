//! How long each store keeps an entry, in words for `show` (and the
//! README's cache section): what survives a reboot, and what expires
//! unused. Pure, but for reading the kernel's persistent-keyring expiry.

use std::time::Duration;

use crate::util::duration;

/// The Secret Service (gnome-keyring, KWallet): on disk, in the login
/// keyring.
pub const SECRET_SERVICE: &str =
    "kept across reboots (on disk, in the login keyring, unlocked at login)";

/// macOS Keychain, Windows Credential Manager.
pub const NATIVE: &str = "kept across reboots (the user's keychain or credential store)";

/// `cache = "file"`.
pub const FILE: &str = "kept across reboots (a file only you can read), until the token expires";

/// Where the kernel says how long a user's persistent keyring lives unused.
pub const PERSISTENT_EXPIRY_FILE: &str = "/proc/sys/kernel/keys/persistent_keyring_expiry";

/// The kernel's default for [`PERSISTENT_EXPIRY_FILE`]: three days.
pub const PERSISTENT_EXPIRY_DEFAULT: Duration = Duration::from_secs(3 * 24 * 3600);

/// The kernel keyring: in memory, so lost at reboot; linked into the user's
/// persistent keyring, which the kernel drops after `expiry` without use
/// (`None`: the kernel's default).
pub fn kernel(expiry: Option<Duration>) -> String {
    let expiry = expiry.unwrap_or(PERSISTENT_EXPIRY_DEFAULT);
    format!(
        "lost at reboot (kernel memory); kept across logins while used, dropped after {} unused (the persistent keyring's expiry, {PERSISTENT_EXPIRY_FILE})",
        duration::human(expiry)
    )
}

/// The persistent keyring's expiry as the kernel has it, if it says.
pub fn persistent_expiry() -> Option<Duration> {
    let text = std::fs::read_to_string(PERSISTENT_EXPIRY_FILE).ok()?;
    text.trim().parse().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_keyring_says_reboot_and_expiry() {
        let text = kernel(None);
        assert!(text.contains("lost at reboot"), "{text}");
        assert!(text.contains("3d"), "{text}");
        assert!(kernel(Some(Duration::from_secs(3600))).contains("1h"));
    }
}
