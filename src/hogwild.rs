//! A matrix that many threads read and update at once without locks (Hogwild!, Recht et al.
//! 2011): SGNS updates are sparse, so collisions are rare and a lost update costs nothing
//! that the next update does not repair.
//!
//! All shared access goes through this type (copying rows out, adding deltas in, dot and
//! axpy in place) or through `row_ptr`, the raw row pointer the AVX-512 kernel of `sgns`
//! loads and stores through, so no `&`/`&mut` reference to shared memory is ever formed.
//! Concurrent non-atomic access to the same `f32` is still a data race in the Rust memory
//! model; it is the race Hogwild is built on, the one word2vec, gensim and finalfrontier
//! make. On the supported targets an aligned `f32` load or store is never torn, so a reader
//! sees an old or a new value, never a mix.

use crate::huge_pages::{self, HUGE_PAGE};
use crate::kernels;
use rayon::prelude::*;
use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut, Range};
use std::ptr::NonNull;

/// Rows ahead of the one merging whose lines `merge_replica` prefetches: the merges' share
/// of a 2-thread E. coli k 6 profile went from 3.98–4.13 % to 3.45–3.64 % (3 runs each).
/// 4 or 8 rows ahead, or AVX2 loads and stores, did no better than 3.0–3.4 %: the sweep
/// is bound by the memory's bandwidth.
const MERGE_AHEAD: usize = 2;

/// The fewest rows a task copies in `into_vec`.
const ROWS_PER_TASK: usize = 1024;

/// Rows are padded with zeros to a multiple of this many values, one 64-byte cache line,
/// and stored line-aligned: the SIMD kernels run whole 16-lane (AVX-512) or 8-lane (AVX2)
/// steps with no scalar tails, a row spans as few lines as it can, and two rows never share
/// a line (no false sharing between threads). Padding stays zero: every update of a padding
/// value is a multiple of padding values.
pub const ROW_ALIGN: usize = 16;

/// One cache line of cells.
#[derive(Default)]
#[repr(C, align(64))]
struct CacheLine([UnsafeCell<f32>; ROW_ALIGN]);

/// Zeroed cache lines, on transparent huge pages where there are enough of them (Linux).
///
/// Training touches rows all over both matrices: on E. coli k 6 each window brings about 7
/// rows of 7 lines, scattered over 3.7 MB, which on 4 KiB pages takes about as many misses
/// of the first-level TLB, and 900 pages is more than it holds. On 2 MiB pages both
/// matrices take two entries: `embed` on 1 thread measured 1.3 % and 3.3 % faster (Intel
/// Xeon VM, two runs of 7 alternating pairs). Storage of 1 MiB or more is therefore
/// allocated 2 MiB-aligned, rounded up to whole huge pages, and advised `MADV_HUGEPAGE`
/// before its first touch (the kernel's default here gives huge pages only where
/// advised).
struct Lines {
    start: NonNull<CacheLine>,
    len: usize,
    /// The allocation's layout; none for an empty slice, which allocates nothing.
    layout: Option<Layout>,
}

// SAFETY: `Lines` owns its allocation, as a `Box<[CacheLine]>` would, and `CacheLine` is
// `Send`; shared access goes through `HogwildMatrix`'s `Sync` contract.
unsafe impl Send for Lines {}

impl Lines {
    /// `len` zeroed lines.
    fn zeroed(len: usize) -> Self {
        let bytes = (len.checked_mul(size_of::<CacheLine>())).expect("matrix size overflows");
        if bytes == 0 {
            return Lines {
                start: NonNull::dangling(),
                len,
                layout: None,
            };
        }
        let huge = bytes >= HUGE_PAGE / 2;
        let layout = if huge {
            Layout::from_size_align(bytes.next_multiple_of(HUGE_PAGE), HUGE_PAGE)
        } else {
            Layout::array::<CacheLine>(len)
        }
        .expect("matrix size overflows");
        // SAFETY: the layout's size is not zero (`bytes > 0`).
        let memory = unsafe { std::alloc::alloc(layout) };
        let Some(start) = NonNull::new(memory) else {
            std::alloc::handle_alloc_error(layout);
        };
        if huge {
            // The allocation just made, not yet touched.
            huge_pages::advise(memory, layout.size());
        }
        // SAFETY: `memory` is valid for `layout.size()` ≥ `bytes` writes; an all-zero
        // `CacheLine` is sixteen 0.0 floats.
        unsafe { std::ptr::write_bytes(memory, 0, bytes) };
        Lines {
            start: start.cast(),
            len,
            layout: Some(layout),
        }
    }
}

impl Deref for Lines {
    type Target = [CacheLine];

    fn deref(&self) -> &[CacheLine] {
        // SAFETY: `start` holds `len` initialised lines (or is dangling with `len` 0).
        unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }
}

impl DerefMut for Lines {
    fn deref_mut(&mut self) -> &mut [CacheLine] {
        // SAFETY: as `deref`, and `&mut self` is the only access.
        unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), self.len) }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if let Some(layout) = self.layout {
            // SAFETY: allocated in `zeroed` with this layout; `CacheLine` needs no drop.
            unsafe { std::alloc::dealloc(self.start.as_ptr().cast(), layout) };
        }
    }
}

/// A `rows × dim` row-major `f32` matrix shared between training threads, each row padded
/// to `stride` values and starting on a cache line.
pub struct HogwildMatrix {
    lines: Lines,
    dim: usize,
    stride: usize,
}

// SAFETY: see the module documentation: threads touch the cells only through `read_row` and
// `add_to_row`, which use raw pointers inside bounds; the races between them are Hogwild's.
unsafe impl Sync for HogwildMatrix {}

impl HogwildMatrix {
    /// A matrix of the `values.len() / dim` rows of `values` (row-major, unpadded).
    pub fn from_vec(values: Vec<f32>, dim: usize) -> Self {
        assert!(
            dim > 0 && values.len().is_multiple_of(dim),
            "matrix of {} values, dim {dim}",
            values.len()
        );
        let rows = values.len() / dim;
        let mut values = values.into_iter();
        HogwildMatrix::from_fn(rows, dim, || values.next().unwrap_or_default())
    }

    /// A matrix of `rows` rows whose values are `value()`'s, row by row.
    pub fn from_fn(rows: usize, dim: usize, mut value: impl FnMut() -> f32) -> Self {
        let mut matrix = HogwildMatrix::zeros(rows, dim);
        for lines in matrix.lines.chunks_exact_mut(matrix.stride / ROW_ALIGN) {
            let cells = lines.iter_mut().flat_map(|line| &mut line.0);
            cells.take(dim).for_each(|cell| *cell.get_mut() = value());
        }
        matrix
    }

    /// A matrix of `rows` rows of zeros.
    pub fn zeros(rows: usize, dim: usize) -> Self {
        assert!(dim > 0, "matrix of dim 0");
        let stride = padded(dim);
        let lines = Lines::zeroed(rows * stride / ROW_ALIGN);
        HogwildMatrix { lines, dim, stride }
    }

    /// The row length without padding.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The padded row length that `read_row` and `add_to_row` work on.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.lines.len() * ROW_ALIGN / self.stride
    }

    /// A raw pointer to the first of the `stride` values of a row, bounds-checked and
    /// 64-byte aligned. Reads and writes through it are Hogwild's races (module docs).
    #[inline(always)]
    pub(crate) fn row_ptr(&self, row: u32) -> *mut f32 {
        let start = row as usize * self.stride;
        assert!(
            start + self.stride <= self.lines.len() * ROW_ALIGN,
            "row {row} of {}",
            self.rows()
        );
        // SAFETY: in bounds by the assertion; the pointer comes from the whole slice, so it
        // may reach every line of the row. `CacheLine` is `repr(C)` over `UnsafeCell<f32>`,
        // which has the layout of `f32`, so the cells are contiguous `f32`s.
        let cells = self.lines.as_ptr() as *const UnsafeCell<f32>;
        UnsafeCell::raw_get(unsafe { cells.add(start) })
    }

    /// Copies a padded row into `out[..stride]` (inlined, so that it vectorises with the
    /// caller's SIMD).
    #[inline(always)]
    pub fn read_row(&self, row: u32, out: &mut [f32]) {
        let out = &mut out[..self.stride];
        let base = self.row_ptr(row);
        for (i, o) in out.iter_mut().enumerate() {
            // SAFETY: `i < stride` and `row_ptr` checked the row lies in the matrix; no
            // reference to the shared value is formed. Concurrent writers may race.
            *o = unsafe { base.add(i).read() };
        }
    }

    /// Adds `delta[..stride]` to a padded row (inlined like `read_row`).
    #[inline(always)]
    pub fn add_to_row(&self, row: u32, delta: &[f32]) {
        let delta = &delta[..self.stride];
        let base = self.row_ptr(row);
        for (i, &d) in delta.iter().enumerate() {
            // SAFETY: `i < stride` and `row_ptr` checked the row lies in the matrix; no reference
            // to the shared value is formed. Concurrent writers may race (module docs).
            unsafe {
                let cell = base.add(i);
                cell.write(cell.read() + d);
            }
        }
    }

    /// `row · x` for a local vector `x` of `stride` values, read in place. `AVX2` as in
    /// `kernels::dot`.
    #[inline(always)]
    pub(crate) fn dot_row<const AVX2: bool>(&self, row: u32, x: &[f32]) -> f32 {
        let x = &x[..self.stride];
        // SAFETY: `row_ptr` checked the row's `stride` values lie in the matrix; `x` holds
        // `stride` values; the AVX2 contract is the caller's. Writers may race (module docs).
        unsafe { kernels::dot_raw::<AVX2>(self.row_ptr(row), x.as_ptr(), self.stride) }
    }

    /// `y ← y + a·row` for a local vector `y` of `stride` values.
    #[inline(always)]
    pub(crate) fn axpy_from_row<const AVX2: bool>(&self, row: u32, a: f32, y: &mut [f32]) {
        let y = &mut y[..self.stride];
        // SAFETY: as in `dot_row`; `y` is a distinct local buffer.
        unsafe { kernels::axpy_raw::<AVX2>(a, self.row_ptr(row), y.as_mut_ptr(), self.stride) }
    }

    /// `row ← row + a·x` for a local vector `x` of `stride` values, in place.
    #[inline(always)]
    pub(crate) fn axpy_to_row<const AVX2: bool>(&self, row: u32, a: f32, x: &[f32]) {
        let x = &x[..self.stride];
        // SAFETY: as in `dot_row`; `x` is a distinct local buffer. Writers may race.
        unsafe { kernels::axpy_raw::<AVX2>(a, x.as_ptr(), self.row_ptr(row), self.stride) }
    }

    /// Asks the CPU to start loading a row into cache (a hint: no effect on values).
    #[inline(always)]
    pub fn prefetch_row(&self, row: u32) {
        self.prefetch_row_of(row, self.stride);
    }

    /// `prefetch_row` for a caller that knows the stride (`stride()`) as a constant, as the
    /// vector kernels do: the loop over the row's cache lines then unrolls (seven
    /// prefetches a row for dim 100, without the loop's count and branch: `embed` of E. coli
    /// k 6 1.023× and 1.031× on 1 thread, 9 alternating pairs each way, 1.039× on 2 threads,
    /// 5 pairs; output byte-identical).
    #[inline(always)]
    pub fn prefetch_row_of(&self, row: u32, stride: usize) {
        debug_assert_eq!(stride, self.stride);
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            const LINE: usize = 64 / std::mem::size_of::<f32>();
            let base = self.row_ptr(row);
            for offset in (0..stride).step_by(LINE) {
                // SAFETY: SSE is part of x86_64; `wrapping_add` makes the address without
                // any claim that it is in bounds (it is when `stride` is the matrix's), and a
                // prefetch reads nothing into the program and cannot fault.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(offset) as *const i8) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (row, stride);
    }

    /// A copy of the current values (other threads may be writing: each value is an old or
    /// a new one).
    pub fn snapshot(&self) -> HogwildMatrix {
        let mut lines = Lines::zeroed(self.lines.len());
        for (copy, line) in lines.iter_mut().zip(self.lines.iter()) {
            for (cell, value) in copy.0.iter_mut().zip(&line.0) {
                // SAFETY: a read of a cell through its `UnsafeCell` pointer; writers may
                // race (module docs).
                *cell.get_mut() = unsafe { value.get().read() };
            }
        }
        HogwildMatrix {
            lines,
            dim: self.dim,
            stride: self.stride,
        }
    }

    /// The padded values, row-major, as a plain vector.
    pub fn padded_values(&self) -> Vec<f32> {
        let mut values = vec![0.0; self.lines.len() * ROW_ALIGN];
        for (row, out) in values.chunks_exact_mut(self.stride).enumerate() {
            self.read_row(row as u32, out);
        }
        values
    }

    /// Folds the work of a replica into this matrix, for the rows in `rows`: with the
    /// replica's working values W and the values B it started from (`base`),
    ///
    ///   S ← S + (W − B),   W ← S,   B ← S.
    ///
    /// The replica then carries on from the merged values. Callers serialise merges that
    /// touch the same rows; nothing else may write those rows of `self` meanwhile.
    pub fn merge_replica(&self, working: &HogwildMatrix, base: &mut [f32], rows: Range<usize>) {
        assert!(
            working.stride == self.stride
                && working.lines.len() == self.lines.len()
                && base.len() == self.lines.len() * ROW_ALIGN
                && rows.end <= self.rows(),
            "replica of a different shape"
        );
        for row in rows.clone() {
            // Two rows ahead, so that the stream of three copies is in flight while this
            // row merges.
            if let Some(ahead) = Some(row + MERGE_AHEAD).filter(|&r| r < rows.end) {
                self.prefetch_row(ahead as u32);
                working.prefetch_row(ahead as u32);
                for line in base[ahead * self.stride..(ahead + 1) * self.stride].chunks(16) {
                    kernels::prefetch(&line[0]);
                }
            }
            let shared = self.row_ptr(row as u32);
            let local = working.row_ptr(row as u32);
            let base = &mut base[row * self.stride..(row + 1) * self.stride];
            for (i, b) in base.iter_mut().enumerate() {
                // SAFETY: `i` < the stride, inside the row of both matrices (checked by
                // `row_ptr`); the caller serialises writers of these rows of `self`, and
                // `working` is the replica's own.
                unsafe {
                    let merged = shared.add(i).read() + (local.add(i).read() - *b);
                    shared.add(i).write(merged);
                    local.add(i).write(merged);
                    *b = merged;
                }
            }
        }
    }

    /// The values, row-major without padding, once training is over (copied in row blocks
    /// on the current rayon pool).
    pub fn into_vec(mut self) -> Vec<f32> {
        let (dim, lines_per_row) = (self.dim, self.stride / ROW_ALIGN);
        let mut values = vec![0.0; self.rows() * dim];
        (values.par_chunks_mut(dim))
            .zip(self.lines.par_chunks_mut(lines_per_row))
            .with_min_len(ROWS_PER_TASK)
            .for_each(|(out, lines)| {
                let cells = lines.iter_mut().flat_map(|line| &mut line.0);
                for (value, cell) in out.iter_mut().zip(cells) {
                    *value = *cell.get_mut();
                }
            });
        values
    }
}

/// `dim` rounded up to a multiple of `ROW_ALIGN`.
pub fn padded(dim: usize) -> usize {
    dim.div_ceil(ROW_ALIGN) * ROW_ALIGN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_matrices_start_on_a_huge_page_and_empty_ones_allocate_nothing() {
        let large = HogwildMatrix::zeros(4096, 100);
        assert_eq!(large.row_ptr(0) as usize % HUGE_PAGE, 0);
        assert!(large.snapshot().into_vec().iter().all(|&x| x == 0.0));
        let small = HogwildMatrix::zeros(3, 5);
        assert_eq!(small.row_ptr(2) as usize % 64, 0);
        let empty = HogwildMatrix::zeros(0, 5);
        assert_eq!((empty.rows(), empty.snapshot().into_vec().len()), (0, 0));
    }

    #[test]
    fn rows_read_and_add() {
        let matrix = HogwildMatrix::from_vec((0..6).map(|x| x as f32).collect(), 3);
        assert_eq!((matrix.rows(), matrix.stride()), (2, 16));
        assert_eq!(
            matrix.row_ptr(1) as usize % 64,
            0,
            "rows start on a cache line"
        );
        let mut row = [9.0; 16];
        matrix.read_row(1, &mut row);
        assert_eq!(&row[..4], [3.0, 4.0, 5.0, 0.0]);
        assert!(row[4..].iter().all(|&x| x == 0.0));
        matrix.add_to_row(0, &[1.0; 16]);
        assert_eq!(matrix.padded_values()[16..19], [3.0, 4.0, 5.0]);
        assert_eq!(matrix.into_vec(), vec![1.0, 2.0, 3.0, 3.0, 4.0, 5.0]);
    }

    /// `from_fn` fills row by row, padding untouched; `into_vec` copies rows in blocks (more
    /// rows than one block here) and gives back what `from_vec` was given.
    #[test]
    fn matrices_fill_and_empty_row_by_row() {
        let mut next = 0.0;
        let matrix = HogwildMatrix::from_fn(2, 3, || {
            next += 1.0;
            next
        });
        assert_eq!(matrix.padded_values()[..3], [1.0, 2.0, 3.0]);
        assert_eq!(matrix.padded_values()[16..19], [4.0, 5.0, 6.0]);
        assert!(matrix.padded_values()[3..16].iter().all(|&x| x == 0.0));
        assert_eq!(HogwildMatrix::zeros(3, 5).into_vec(), vec![0.0; 15]);
        let values: Vec<f32> = (0..3 * ROWS_PER_TASK * 7).map(|x| x as f32).collect();
        assert_eq!(
            HogwildMatrix::from_vec(values.clone(), 7).into_vec(),
            values
        );
    }

    /// Two replicas' work both lands in the shared matrix, and each carries on from it.
    #[test]
    fn replicas_merge_by_delta() {
        let shared = HogwildMatrix::from_vec(vec![1.0, 2.0, 3.0, 4.0], 2);
        let replicas: Vec<(HogwildMatrix, Vec<f32>)> = (0..2)
            .map(|_| (shared.snapshot(), shared.padded_values()))
            .collect();
        replicas[0].0.add_to_row(0, &[10.0; 16]);
        replicas[1].0.add_to_row(0, &[100.0; 16]);
        replicas[1].0.add_to_row(1, &[1000.0; 16]);
        for (working, base) in replicas {
            let mut base = base;
            shared.merge_replica(&working, &mut base, 0..1);
            shared.merge_replica(&working, &mut base, 1..2);
            assert_eq!(working.into_vec(), shared.snapshot().into_vec());
        }
        assert_eq!(shared.into_vec(), vec![111.0, 112.0, 1003.0, 1004.0]);
    }
}
