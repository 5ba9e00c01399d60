import Foundation
import Testing
import TallyCore
@testable import TallyIndex

/// The index's fast frame reader against Foundation's decoding: the same fields for every
/// frame, whether the fast reader reads it or hands it to Foundation.
@Suite struct IndexedFrameDecodingTests {
    static func expectSame(_ bytes: [UInt8], _ note: String) {
        let fast = IndexedFrame(bytes: bytes), reference = IndexedFrame(decodingWithFoundation: bytes)
        #expect((fast == nil) == (reference == nil), "\(note)")
        guard let fast, let reference else { return }
        #expect(fast.frameId == reference.frameId && fast.revision == reference.revision && fast.scope == reference.scope, "\(note)")
        #expect(fast.scopeKind == reference.scopeKind && fast.metric == reference.metric && fast.service == reference.service, "\(note)")
        #expect(fast.resource == reference.resource && fast.user == reference.user && fast.unit == reference.unit, "\(note)")
        #expect(fast.currency == reference.currency && fast.status == reference.status && fast.scopeName == reference.scopeName, "\(note)")
        #expect(fast.windowStart == reference.windowStart && fast.windowEnd == reference.windowEnd, "\(note)")
        #expect(CompactSummaryTests.same(fast.quantity, reference.quantity) && CompactSummaryTests.same(fast.price, reference.price), "\(note)")
        #expect(fast.groupby == reference.groupby && fast.metadata == reference.metadata, "\(note)")
        #expect(fast.bytes == reference.bytes)
    }

    @Test func theRandomFramesDecodeAlikeAndTheFastReaderReadsThem() {
        var rng = CompactSummaryTests.Generator(state: 3)
        for n in 0..<300 {
            let bytes = CompactSummaryTests.frame(n, revision: 1 + n % 3, &rng)
            Self.expectSame(bytes, "frame \(n)")
            #expect(bytes.withUnsafeBytes { FrameJSONReader.read($0) } != nil, "the fast reader reads frame \(n)")
        }
    }

    @Test func unusualFramesDecodeAlike() {
        let base = #"{"frame_id":"0123456789abcdef0123456789abcdef","revision":2,"scope":{"id":"p","kind":"project_id"},"window":{"start":"2026-11-01T00:00:00Z","end":"2026-11-01T01:00:00Z"},"quantity":"1.5","price":"0.10","metric":"instance","#
        let tails = [
            #""groupby":{"project_name":"Caf\u00e9","n":3,"f":1.5,"b":true,"z":null,"o":{"a":1},"l":[1,2]},"metadata":{"scope_name":"é ü"}}"#,
            #""groupby":{"project_name":7},"metadata":{"scope_name":"named"}}"#,
            #""groupby":{"a":"1","a":"2"},"metadata":{}}"#,
            #""service":null,"user_id":"u","groupby":{"n":-0,"m":007},"metadata":{"big":12345678901234567890}}"#,
            #""revision":3,"groupby":{},"metadata":{}}"#,
            #""groupby":{},"metadata":{},"extra":[{"x":"y\"z"}],"flag":false}"#,
            #""groupby":{},"metadata":{}} trailing"#,
            #""groupby":{},"metadata":{},"status":"rated","currency":"EUR","unit":"h","resource_id":"r","service":"svc"}"#,
        ]
        for (i, tail) in tails.enumerated() { Self.expectSame(Array((base + tail).utf8), "tail \(i)") }
        for broken in ["", "[]", "{", #"{"frame_id":"short","revision":1}"#, base + #""price":"x"}"#] {
            Self.expectSame(Array(broken.utf8), "broken \(broken)")
        }
    }
}
