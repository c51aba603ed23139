//! File-system features beyond `std::fs`: ext4's placement flag for a folder, a blocking
//! whole-file lock.

use std::os::fd::AsRawFd;
use std::path::Path;

/// `FS_TOPDIR_FL` from `linux/fs.h`: the folder is the top of a directory hierarchy.
pub const FS_TOPDIR_FL: libc::c_int = 0x0002_0000;

/// A file's or folder's inode flags (`FS_IOC_GETFLAGS`, what `lsattr` shows); None where the
/// filesystem has none or it cannot be opened.
pub fn inode_flags(path: &Path) -> Option<libc::c_int> {
    let file = std::fs::File::open(path).ok()?;
    // The ioctls' numbers say `long`, but the kernel reads and writes an `int`.
    let mut flags: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes an int into `flags`.
    let ok = unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) } == 0;
    ok.then_some(flags)
}

/// Marks `dir` as the top of separate hierarchies (`chattr +T`), where the filesystem
/// supports it and lets us: each folder made in it is one. ext4 then places each new folder
/// in a block group of its own choosing (its Orlov allocator), as it does folders at the top
/// of a filesystem, instead of always in the group of the folder above. Besides spreading
/// them out, this keeps their files away from groups full of files deleted in the last
/// minutes: on ext4 without a journal, every new file's inode search checks each of those
/// one by one (`recently_deleted`), which made creating a file 10 to 40 times slower after
/// a large `rm -rf`. Anything that fails here is ignored: it is a placement hint.
pub fn mark_top_of_hierarchies(dir: &Path) {
    let Ok(folder) = std::fs::File::open(dir) else { return };
    let mut flags: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes an int into `flags`.
    if unsafe { libc::ioctl(folder.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) } != 0 || flags & FS_TOPDIR_FL != 0 {
        return;
    }
    flags |= FS_TOPDIR_FL;
    // SAFETY: FS_IOC_SETFLAGS reads an int from `flags`; the other flags are as read.
    unsafe { libc::ioctl(folder.as_raw_fd(), libc::FS_IOC_SETFLAGS, &flags) };
}

/// Takes an exclusive advisory lock on the whole file (`flock(LOCK_EX)`), waiting for it; it
/// is released when the file is closed. Blocks the thread: call it off the async runtime.
pub fn lock_exclusive(file: &std::fs::File) -> std::io::Result<()> {
    // SAFETY: flock on a descriptor the caller owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
