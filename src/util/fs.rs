//! Paths, directories and files: `~` expansion, private directories and
//! checking that others cannot write them, names made safe as file names,
//! and reading a file safely: opened without blocking (a FIFO does not wait
//! for a writer), checked to be a regular file on the opened descriptor,
//! and read with a size cap (`/dev/zero` or a huge file does not eat
//! memory).

use std::fs::{File, Metadata};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The bytes a file name keeps as they are (besides letters and digits).
const KEPT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// `text` as one file name, the same on every platform: letters, digits,
/// `-`, `_` and `.` as they are, `/` as `~` (`token/prod` is
/// `token~prod`), every other byte (`~` and `%` too) as `%XX`. So distinct
/// texts give distinct names, and no name holds a path separator. The file
/// cache's names on disk are these: the mapping must not change.
pub fn file_name(text: &str) -> String {
    let parts: Vec<String> = text
        .split('/')
        .map(|part| utf8_percent_encode(part, KEPT).to_string())
        .collect();
    parts.join("~")
}

/// The cap of a file gettoken reads: a secret, a key, a CA bundle, a cache
/// entry.
pub const SMALL_FILE_CAP: u64 = 1024 * 1024;

/// `~/x` is `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// Creates `dir` (mode 0700) if needed.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `dir` (mode 0700) if needed, and checks that it is safe to keep
/// things in, see [`check_trusted_dir`].
pub fn trusted_dir(dir: &Path) -> io::Result<()> {
    private_dir(dir)?;
    check_trusted_dir(dir)
}

/// Whether `dir` is safe to keep things in: a directory (not a symbolic
/// link to one), owned by this user, that neither its group nor others may
/// write. An error of kind `PermissionDenied` says which of these fails.
pub fn check_trusted_dir(dir: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    #[cfg(unix)]
    let (uid, mode) = {
        use std::os::unix::fs::MetadataExt as _;
        (Some((meta.uid(), current_uid())), meta.mode())
    };
    #[cfg(not(unix))]
    let (uid, mode) = (None, 0);
    match dir_problem(meta.file_type().is_symlink(), meta.is_dir(), uid, mode) {
        Some(why) => Err(io::Error::new(io::ErrorKind::PermissionDenied, why)),
        None => Ok(()),
    }
}

/// Why a directory (a link or not, a directory or not, its owner and this
/// user where known, its mode) is not safe to keep things in, if it is not.
fn dir_problem(link: bool, dir: bool, uid: Option<(u32, u32)>, mode: u32) -> Option<String> {
    if link {
        return Some("it is a symbolic link, not a directory of this user's".into());
    }
    if !dir {
        return Some("it is not a directory".into());
    }
    if let Some((owner, me)) = uid {
        if owner != me {
            return Some(format!(
                "it belongs to uid {owner}, not to this user (uid {me})"
            ));
        }
        if mode & 0o022 != 0 {
            return Some(format!(
                "others may write to it (mode {:o}); make it private with chmod 700",
                mode & 0o7777
            ));
        }
    }
    None
}

/// Why a file this user's gettoken wrote (owner, this user, mode) cannot
/// be one, if it cannot: it is another user's, or not mode 0600.
pub fn not_private_file(owner: u32, me: u32, mode: u32) -> Option<String> {
    if owner != me {
        return Some(format!("it belongs to uid {owner}, not to this user"));
    }
    if mode & 0o777 != 0o600 {
        return Some(format!("its mode is {:o}, not 600", mode & 0o777));
    }
    None
}

/// Whether `e` is [`check_trusted_dir`] refusing a directory (rather than
/// the system failing to create or look at it).
pub fn is_untrusted(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none()
}

/// The effective user id of this process.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Whether a symbolic link at the last component of the path is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    Follow,
    /// `O_NOFOLLOW`: a link there fails the open.
    Refuse,
}

/// Whether `e` is the error an `O_NOFOLLOW` open gives for a symbolic link
/// (`ELOOP`); never true where no such flag is set.
#[cfg(unix)]
pub fn is_link_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}
#[cfg(not(unix))]
pub fn is_link_refusal(_: &io::Error) -> bool {
    false
}

/// Opens `path` for reading without blocking on a FIFO or a device, and
/// returns it with its metadata (of the opened file, not a second look-up)
/// once it is known to be a regular file.
pub fn open_regular(path: &Path, links: Links) -> io::Result<(File, Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // (Elsewhere opening follows no special-file semantics to guard.)
    #[cfg(not(unix))]
    let _ = links;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    let file = options.open(path).map_err(|e| {
        if links == Links::Refuse && is_link_refusal(&e) {
            return io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is a symbolic link, which is not followed here",
            );
        }
        // Windows refuses to open a directory as a file ("Access denied").
        #[cfg(windows)]
        if let Some(meta) = std::fs::metadata(path).ok().filter(|m| !m.is_file()) {
            return io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a regular file (it is {})", kind_of(&meta)),
            );
        }
        e
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file (it is {})", kind_of(&meta)),
        ));
    }
    Ok((file, meta))
}

/// Reads all of an opened regular file, failing past `cap` bytes.
pub fn read_capped(file: File, meta: &Metadata, cap: u64) -> io::Result<Vec<u8>> {
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {} KiB, the most gettoken reads", cap / 1024),
        )
    };
    if meta.len() > cap {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The bytes of the regular file at `path`, at most `cap` of them: a FIFO,
/// a device, a directory or a larger file is an error at once.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let (file, meta) = open_regular(path, Links::Follow)?;
    read_capped(file, &meta, cap)
}

/// What kind of file this is, for messages.
fn kind_of(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file cache's encoder before it used `percent-encoding`: the
    /// names of existing users' cache files.
    fn as_before(key: &str) -> String {
        key.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                b'/' => "~".to_string(),
                other => format!("%{other:02X}"),
            })
            .collect()
    }

    #[test]
    fn file_names_are_the_ones_on_disk() {
        for key in [
            "token/prod",
            "token/a b",
            "secret/x.y-z_1",
            "token/a/b",
            "token/~%20",
            "token/..",
            "token/ünï 😀",
            "token/\\:*?\"<>|\t\n",
            "",
            "/",
        ] {
            assert_eq!(file_name(key), as_before(key), "{key:?}");
        }
        assert_eq!(file_name("token/a b"), "token~a%20b");
    }

    #[test]
    fn reads_a_small_file_and_refuses_a_large_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(read_regular(&path, 5).unwrap(), b"hello");
        let err = read_regular(&path, 4).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        let err = read_regular(dir.path(), 4).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_fifos_and_links_at_once() {
        let started = std::time::Instant::now();
        let err = read_regular(Path::new("/dev/zero"), SMALL_FILE_CAP).unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_regular(&fifo, SMALL_FILE_CAP).unwrap_err();
        assert!(err.to_string().contains("a FIFO"), "{err}");
        let target = dir.path().join("target");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_regular(&link, Links::Refuse).is_err());
        assert!(open_regular(&link, Links::Follow).is_ok());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn only_a_directory_and_files_of_this_users_alone_are_trusted() {
        assert_eq!(dir_problem(false, true, Some((1000, 1000)), 0o40700), None);
        assert_eq!(dir_problem(false, true, Some((1000, 1000)), 0o40755), None);
        let other = dir_problem(false, true, Some((65534, 1000)), 0o40700).unwrap();
        assert!(other.contains("uid 65534"), "{other}");
        assert!(dir_problem(false, true, Some((1000, 1000)), 0o40770).is_some());
        assert!(dir_problem(false, true, Some((1000, 1000)), 0o41777).is_some());
        assert!(dir_problem(true, false, Some((1000, 1000)), 0o700).is_some());
        assert!(dir_problem(false, false, None, 0).is_some());
        assert_eq!(not_private_file(1000, 1000, 0o100600), None);
        assert!(
            not_private_file(65534, 1000, 0o100600)
                .unwrap()
                .contains("uid 65534")
        );
        assert!(not_private_file(1000, 1000, 0o100644).is_some());
        assert!(not_private_file(1000, 1000, 0o100400).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_may_write_is_not_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("a/b");
        trusted_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = trusted_dir(&private).unwrap_err();
        assert!(is_untrusted(&err));
        assert!(err.to_string().contains("mode 777"), "{err}");
        let link = dir.path().join("link");
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink(&private, &link).unwrap();
        assert!(trusted_dir(&link).is_err());
    }
}
