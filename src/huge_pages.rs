//! Transparent huge pages for large tables read at random: on 4 KiB pages each random read
//! of a table of megabytes is a TLB miss as well; on 2 MiB pages the table takes a few TLB
//! entries. The kernel's default here (`madvise` mode) backs memory with huge pages only
//! where it is advised, and the advice takes effect at a page's first touch.

/// A huge page on x86-64 and most 64-bit Linux targets.
pub const HUGE_PAGE: usize = 2 << 20;

/// Advises `MADV_HUGEPAGE` for the whole huge pages among the `bytes` bytes from `start`
/// (Linux; elsewhere nothing). A refusal, as from a kernel without huge pages, leaves
/// 4 KiB pages, which is fine.
pub fn advise(start: *const u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        let first = (start as usize).next_multiple_of(HUGE_PAGE);
        let end = (start as usize).saturating_add(bytes) / HUGE_PAGE * HUGE_PAGE;
        if first < end {
            // SAFETY: the advice changes how the pages of the range are backed, never their
            // contents; a range not mapped is refused with an error, ignored here.
            unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (start, bytes);
}

/// An empty vector with room for `capacity` values, its whole huge pages advised before
/// anything is written to them.
pub fn vec_with_capacity<T>(capacity: usize) -> Vec<T> {
    let vec = Vec::<T>::with_capacity(capacity);
    advise(vec.as_ptr().cast(), capacity * size_of::<T>());
    vec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_keeps_contents_and_a_vector_keeps_its_room() {
        let mut vec: Vec<u64> = vec_with_capacity(3 * HUGE_PAGE / 8);
        assert!(vec.capacity() >= 3 * HUGE_PAGE / 8);
        let start = vec.as_ptr();
        vec.extend(0..(3 * HUGE_PAGE / 8) as u64);
        assert_eq!(vec.as_ptr(), start, "filled in place");
        advise(vec.as_ptr().cast(), vec.len() * 8);
        assert!(vec.iter().enumerate().all(|(i, &x)| x == i as u64));
        // Ranges with no whole huge page in them, or empty, are left alone.
        advise(vec.as_ptr().cast(), 100);
        advise(std::ptr::null(), 0);
    }
}
