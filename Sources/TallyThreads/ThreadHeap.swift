import Glibc

/// Room in the calling thread's own heap before it allocates much that lives on.
///
/// glibc gives each thread but the first an arena of its own: a reserved region whose
/// usable part it widens with one `mprotect` each time the top runs out, by just what the
/// request needs rounded to a page (no padding, unlike the first thread's `sbrk`). A thread
/// that allocates tens of megabytes of small blocks that outlive it (the rule log's decode
/// thread: each event's strings and rule payload end up in the state) therefore made one
/// system call per page or two, ~3,750 of them for the bench's 100,000 events, each
/// editing the process's memory map. Allocating `bytes` in blocks below the mmap
/// threshold and freeing them widens the arena in a few hundred steps instead; glibc then
/// hands the freed top back to the kernel (`MADV_DONTNEED`: no memory is kept) but leaves
/// it accessible, so later growth needs no `mprotect`. Only speed depends on it: the heap's
/// contents and the program's results are the same either way.
public enum ThreadHeap {
    /// Blocks of 96 KiB: under glibc's default mmap threshold (128 KiB), so each comes
    /// from the arena (a larger request would be mapped on its own and teach the arena nothing).
    static let block = 96 * 1024

    /// Widens the calling thread's arena by about `bytes` (at most 32 MiB, within one of
    /// glibc's 64 MiB arena heaps), as described above.
    public static func reserve(bytes: Int) {
        reserve(bytes: bytes, allocate: { malloc($0) }, release: { free($0) })
    }

    /// `reserve(bytes:)` through the given allocator (tests count the blocks).
    static func reserve(bytes: Int, allocate: (Int) -> UnsafeMutableRawPointer?,
                        release: (UnsafeMutableRawPointer?) -> Void) {
        let count = min(max(bytes, 0), 32 << 20) / block
        guard count > 0 else { return }
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: count) { blocks in
            for i in 0..<count { blocks[i] = allocate(block) }
            // In allocation order: each block joins the free one before it, and the last
            // joins the top, so the arena trims once.
            for i in 0..<count { release(blocks[i]) }
        }
    }
}
