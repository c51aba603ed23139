//! The C library's heap and the process's mappings: fewer malloc arenas, freed heap given
//! back, the binary's clean code pages dropped from a worker's resident set.

use std::path::Path;

/// Caps glibc's malloc arenas at two (`mallopt(M_ARENA_MAX)`). glibc gives each thread that
/// allocates an arena of its own (up to 8 per core); the server's short-lived blocking
/// threads would each leave one behind, partly resident. Call it first in `main`: arenas
/// made before it stay.
pub fn limit_malloc_arenas() {
    // SAFETY: mallopt takes malloc's own lock; it has no other preconditions.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
}

/// Returns the heap's free memory to the system (`malloc_trim`): glibc keeps freed memory
/// for reuse, so a process that once held something large otherwise stays that large.
pub fn trim_heap() {
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe { libc::malloc_trim(0) };
}

/// This process's memory map (`/proc/self/smaps`) and its binary's path, opened while the
/// process may still open them: a worker reads them after its JavaScript thread is confined
/// (Landlock), which refuses opening anything under `/proc`; it checks a file when it is
/// opened, not when it is read, and a `/proc` file's text is made when it is read.
pub struct MemoryMap {
    smaps: std::fs::File,
    exe: std::path::PathBuf,
}

impl MemoryMap {
    pub fn open() -> Option<MemoryMap> {
        Some(MemoryMap {
            smaps: std::fs::File::open("/proc/self/smaps").ok()?,
            exe: std::env::current_exe().ok()?,
        })
    }
}

/// Drops this process's pages of its own binary's never-written mappings (code, read-only
/// data) with `madvise(MADV_DONTNEED)`. They are shared, clean file pages: a page needed
/// again is mapped back from the page cache on first touch, and meanwhile it no longer
/// counts in this process's resident set. Anything unreadable here leaves memory as it is.
pub fn drop_binary_code_pages(map: MemoryMap) {
    use std::io::Read;
    let MemoryMap { mut smaps, exe } = map;
    let mut text = String::new();
    if smaps.read_to_string(&mut text).is_err() {
        return;
    }
    let mut mapping: Option<(usize, usize)> = None;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            // A mapping's header: only our own binary's read-only file pages are candidates
            // (nothing can write to them between this look and the madvise).
            let read_only = fields.next().is_some_and(|perms| !perms.contains('w'));
            let ours = read_only && fields.nth(3).map(Path::new) == Some(exe.as_path());
            mapping = match (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) {
                (Ok(start), Ok(end)) if ours => Some((start, end)),
                _ => None,
            };
        } else if first == "Private_Dirty:" {
            // Only a mapping none of whose pages was ever written (code, read-only data) is
            // dropped: a written private page (relocated data) exists nowhere else.
            let clean = fields.next() == Some("0");
            if let Some((start, end)) = mapping.take().filter(|_| clean) {
                // SAFETY: every page of this private file mapping equals the file, so
                // MADV_DONTNEED discards nothing that cannot be read back from it.
                unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
            }
        }
    }
}
