//! Keeping the process's memory, which holds tokens and secrets, out of
//! core files and away from other processes of the same user.

/// Makes this process non-dumpable: no core file is ever written, and
/// processes of the same user without `CAP_SYS_PTRACE` can neither attach
/// to it nor read its `/proc/<pid>/mem` or `environ`. Called first in
/// `main`, before any secret is read. Best effort: a refusal by the kernel
/// leaves the process as it was, and is not an error.
pub fn forbid_core_dumps() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_DUMPABLE takes plain integers and
        // touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass and nothing else.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
    }
}

/// Whether core dumps are off for this process.
#[cfg(target_os = "linux")]
pub fn core_dumps_forbidden() -> bool {
    // SAFETY: PR_GET_DUMPABLE takes no pointer.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_process_becomes_non_dumpable() {
        // In a child process of its own: the test harness stays as it was.
        // SAFETY: fork in a test; the child only calls prctl and _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            forbid_core_dumps();
            let code = if core_dumps_forbidden() { 0 } else { 1 };
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for the child just forked.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    }
}
