import Foundation
import Synchronization
import Testing
@testable import TallyThreads

/// `ThreadHeap.reserve` widens a thread's heap and keeps no memory: every block it takes it
/// frees, in the order taken, blocks below glibc's mmap threshold, about the bytes asked
/// for (at most 32 MiB); and blocks allocated on the thread afterwards are ordinary ones
/// (written and read back whole).
@Suite struct ThreadHeapTests {
    @Test func everyBlockTakenIsFreedInOrder() {
        for asked in [0, 1, ThreadHeap.block - 1, ThreadHeap.block, 10 << 20, 32 << 20, 100 << 20] {
            var taken: [UnsafeMutableRawPointer] = [], freed: [UnsafeMutableRawPointer] = []
            var sizes: Set<Int> = []
            ThreadHeap.reserve(bytes: asked, allocate: { size in
                sizes.insert(size)
                let block = malloc(size)
                if let block { taken.append(block) }
                return block
            }, release: { block in
                if let block { freed.append(block) }
                free(block)
            })
            #expect(freed == taken, "asked \(asked)")
            #expect(sizes.allSatisfy { $0 < 128 * 1024 }, "asked \(asked): \(sizes)")
            let expected = min(asked, 32 << 20) / ThreadHeap.block
            #expect(taken.count == expected, "asked \(asked): \(taken.count) blocks")
        }
    }

    @Test func blocksAllocatedAfterwardsWork() {
        let intact = Atomic<Bool>(false)
        let thread = FollowerThread(name: "test-heap")
        thread.start {
            ThreadHeap.reserve(bytes: 32 << 20)
            // 20,000 blocks of 200 bytes, each filled with its own number, then checked.
            var blocks: [UnsafeMutableRawPointer] = []
            for n in 0..<20_000 {
                let block = malloc(200)!
                memset(block, Int32(n & 0xFF), 200)
                blocks.append(block)
            }
            var ok = true
            for (n, block) in blocks.enumerated() {
                let bytes = block.assumingMemoryBound(to: UInt8.self)
                for i in 0..<200 where bytes[i] != UInt8(n & 0xFF) { ok = false }
                free(block)
            }
            intact.store(ok, ordering: .relaxed)
        }
        thread.stop()
        let ok = intact.load(ordering: .relaxed)
        #expect(ok)
    }
}
