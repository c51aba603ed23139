//! The three Landlock system calls, raw: a ruleset is built in the engine (allocations, file
//! opens) and only its descriptor crosses into the child, where restricting is two
//! async-signal-safe calls. The `landlock` crate does build and restrict in one call, which a
//! `clone(CLONE_VM)` child cannot make.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const EXECUTE: u64 = 1 << 0;
const WRITE_FILE: u64 = 1 << 1;
const READ_FILE: u64 = 1 << 2;
const READ_DIR: u64 = 1 << 3;
/// Every right that exists up to ABI 1 (bits 0 to 12: remove, make dir/file/sock/...).
const ABI1_ALL: u64 = (1 << 13) - 1;
const REFER: u64 = 1 << 13;
const TRUNCATE: u64 = 1 << 14;
const IOCTL_DEV: u64 = 1 << 15;
/// Rights that mean something on a file (the rest are about directories' entries).
const FILE_RIGHTS: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

/// Reading and running.
pub const READ: u64 = EXECUTE | READ_FILE | READ_DIR;
/// Everything on the tree (masked to what the kernel knows).
pub const ALL: u64 = u64::MAX;

const SCOPE_SIGNAL: u64 = 1 << 1;
const CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: libc::c_int = 1;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The kernel's Landlock ABI version; 0 when it has none (too old, or disabled at boot).
pub fn abi() -> u32 {
    // SAFETY: the version query takes no attribute and returns a number or -1.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(v).unwrap_or(0)
}

/// The file-system rights a kernel of `abi` can enforce.
fn handled(abi: u32) -> u64 {
    let mut rights = ABI1_ALL;
    if abi >= 2 {
        rights |= REFER;
    }
    if abi >= 3 {
        rights |= TRUNCATE;
    }
    if abi >= 5 {
        rights |= IOCTL_DEV;
    }
    rights
}

/// A ruleset being built: everything not granted by a rule is denied once it is applied.
/// Network rights are left unhandled (open), signals to processes outside are refused.
pub struct Ruleset {
    fd: OwnedFd,
    handled: u64,
}

impl Ruleset {
    pub fn new(abi: u32) -> io::Result<Ruleset> {
        let attr = RulesetAttr {
            handled_access_fs: handled(abi),
            handled_access_net: 0,
            scoped: if abi >= 6 { SCOPE_SIGNAL } else { 0 },
        };
        // Kernels before ABI 6 know a shorter struct; the size says how much to read.
        let size = if abi >= 6 { 24 } else { 8 };
        // SAFETY: the attribute lives across the call; the result is a new descriptor or -1.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                size,
                0u32,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a descriptor just returned to us (close-on-exec by the kernel's design).
        let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
        Ok(Ruleset {
            fd,
            handled: handled(abi),
        })
    }

    /// Allows `access` beneath `path` (a directory) or on it (a file). A path that does not
    /// exist is skipped: there is nothing there to reach.
    pub fn allow(&mut self, path: &Path, access: u64) -> io::Result<()> {
        let Some(target) = open_path(path)? else {
            return Ok(());
        };
        let is_dir = std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false);
        self.add_rule(&target, access, is_dir)
            .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
    }

    /// Allows `access` beneath a directory already open (`open_path`).
    pub fn allow_dir(&mut self, dir: &OwnedFd, access: u64) -> io::Result<()> {
        self.add_rule(dir, access, true)
    }

    fn add_rule(&mut self, target: &OwnedFd, access: u64, is_dir: bool) -> io::Result<()> {
        let mut allowed = access & self.handled;
        if !is_dir {
            allowed &= FILE_RIGHTS;
        }
        let attr = PathBeneathAttr {
            allowed_access: allowed,
            parent_fd: target.as_raw_fd(),
        };
        // SAFETY: both descriptors are open; the attribute lives across the call.
        let r = unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                self.fd.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0u32,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Confines the calling thread (and what it starts later) to the ruleset.
    pub fn restrict_current_thread(&self) -> io::Result<()> {
        // SAFETY: two system calls on an open descriptor.
        match unsafe { restrict_self(self.fd()) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }
}

/// `path` opened as a place (`O_PATH`: nothing of its content), as a rule names it; None
/// when there is nothing there.
pub fn open_path(path: &Path) -> io::Result<Option<OwnedFd>> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::other("a NUL byte in a path"))?;
    // SAFETY: O_PATH opens nothing's content; the result is a descriptor or -1.
    let raw = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if raw < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::NotFound {
            Ok(None)
        } else {
            Err(e)
        };
    }
    // SAFETY: just opened, owned here.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(raw) }))
}

/// `no_new_privs` (Landlock's precondition for an unprivileged process, and set-uid
/// programs must not gain what the step lacks) and the restriction. Only system calls, so it
/// may run in a vfork child or between fork and exec; -1 with errno set on failure.
///
/// # Safety
/// `fd` must be a Landlock ruleset descriptor.
pub unsafe fn restrict_self(fd: RawFd) -> libc::c_int {
    // SAFETY: per the caller.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return -1;
        }
        libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) as libc::c_int
    }
}
