#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Recomputes a Ceilometer sample's `message_signature` from its JSON and compares.
///
/// What Ceilometer signs (`ceilometer.publisher.utils.compute_signature`, fed by
/// `ceilometer.utils.recursive_keypairs`): the sample dict flattened with its keys
/// sorted, nested dicts becoming `outer:inner` names (an empty dict contributes
/// nothing), the top-level `message_signature` left out; for each remaining pair,
/// `str(name)` then `str(value)` as UTF-8 go into an HMAC-SHA256 keyed with the
/// telemetry secret, and the signature is its lowercase hex digest. `str(value)` is
/// Python's: text as is, `None`, `True`/`False`, numbers as `repr` wrote them into the
/// JSON (so the token itself; non-finite ones as `nan`/`inf`/`-inf`), and a list as
/// `str` of `decode_unicode(list)`: its strings turned into bytes, so `[b'golden']`,
/// and dicts inside it with sorted keys, `{b'k': b'v'}`.
///
/// The message is assembled in buffers the check owns and reuses (no allocation once
/// they have grown to the largest sample), then handed to the authenticator in one call.
final class CeilometerSignatureCheck {
    enum Verdict: Equatable { case good, missing, notAString, mismatch }

    private struct Member {
        var keyStart: Int
        var keyLength: Int
        /// Where the value starts; for strings and numbers, the span read on the first
        /// pass, so that writing the pairs in sorted order does not scan them again.
        var value: Int
        var kind: JSONValueKind = .null
        var span: Range<Int> = 0..<0
        var hasEscapes = false
    }

    private let authenticator: MessageAuthenticator
    // Reused per sample; only ever appended to and truncated. Exclusivity is not
    // checked at run time: one decoder's thread uses them, never re-entrantly.
    @exclusivity(unchecked) private var message: [UInt8] = []
    @exclusivity(unchecked) private var keyBytes: [UInt8] = []
    @exclusivity(unchecked) private var members: [Member] = []
    @exclusivity(unchecked) private var prefix: [UInt8] = []
    @exclusivity(unchecked) private var signature: [UInt8] = []
    @exclusivity(unchecked) private var sawSignature = false
    @exclusivity(unchecked) private var signatureIsString = false
    private let digest = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)

    init(authenticator: MessageAuthenticator) {
        self.authenticator = authenticator
        message.reserveCapacity(4096)
        keyBytes.reserveCapacity(1024)
        members.reserveCapacity(128)
        prefix.reserveCapacity(256)
        signature.reserveCapacity(128)
    }

    deinit { digest.deallocate() }

    /// Checks the sample object starting at byte `start` of the scanner's text (JSON
    /// that the decoder has already read, so it is well-formed).
    func verify(sampleAt start: Int, in scanner: JSONScanner, state: DecoderState) -> Verdict {
        guard computeDigest(sampleAt: start, in: scanner, state: state) else { return .mismatch }
        guard sawSignature else { return .missing }
        guard signatureIsString else { return .notAString }
        guard signature.count == 64 else { return .mismatch }
        var difference: UInt8 = 0  // compare every byte: no early exit to time
        for i in 0..<32 {
            difference |= signature[2 * i] ^ Self.hexDigits[Int(digest[i] >> 4)]
            difference |= signature[2 * i + 1] ^ Self.hexDigits[Int(digest[i] & 0xF)]
        }
        return difference == 0 ? .good : .mismatch
    }

    /// The signature Ceilometer would give the sample at `start`, in lowercase hex.
    func signature(ofSampleAt start: Int, in scanner: JSONScanner, state: DecoderState) -> String? {
        guard computeDigest(sampleAt: start, in: scanner, state: state) else { return nil }
        return String(decoding: (0..<64).map { Self.hexDigits[Int(($0 & 1 == 0 ? digest[$0 / 2] >> 4 : digest[$0 / 2] & 0xF))] },
                      as: UTF8.self)
    }

    /// Builds the signed message of the sample at `start` and its MAC into `digest`;
    /// false if the text is not a JSON object.
    private func computeDigest(sampleAt start: Int, in scanner: JSONScanner, state: DecoderState) -> Bool {
        message.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
        prefix.removeAll(keepingCapacity: true)
        signature.removeAll(keepingCapacity: true)
        sawSignature = false
        signatureIsString = false
        var s = scanner
        s.keys = nil  // already checked on the first pass
        s.position = start
        do throws(JSONSyntaxError) {
            guard try s.peekKind() == .object else { return false }
            try flatten(&s, state: state, top: true)
        } catch {
            return false
        }
        message.withUnsafeBytes { authenticator.authenticate($0, into: digest) }
        return true
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let signatureKey: StaticString = "message_signature"

    /// `recursive_keypairs` over the object at the scanner, writing name/value pairs.
    private func flatten(_ s: inout JSONScanner, state: DecoderState, top: Bool) throws(JSONSyntaxError) {
        try s.beginObject()
        let frame = members.count, keyMark = keyBytes.count
        var first = true
        while let keySpan = try s.nextMember(&first) {
            let key = state.key(keySpan, in: s)
            if top && Self.equals(key, Self.signatureKey) {
                sawSignature = true
                if try s.peekKind() == .string {
                    signatureIsString = true
                    signature.append(contentsOf: state.text(try s.readString(), in: s))
                } else {
                    try s.skipValue()
                }
                continue
            }
            var member = Member(keyStart: keyBytes.count, keyLength: key.count, value: s.position)
            keyBytes.append(contentsOf: key)
            member.kind = try s.peekKind()
            switch member.kind {
            case .string:
                let span = try s.readString()
                member.span = span.range
                member.hasEscapes = span.hasEscapes
            case .number:
                member.span = try s.readNumber().range
            default:
                try s.skipValue()
            }
            members.append(member)
        }
        let end = s.position
        sortMembers(frame..<members.count)
        for m in frame..<members.count {
            let member = members[m]
            let keyRange = member.keyStart..<(member.keyStart + member.keyLength)
            if member.kind == .object {
                let mark = prefix.count
                prefix.append(contentsOf: keyBytes[keyRange])
                prefix.append(UInt8(ascii: ":"))
                s.position = member.value
                try flatten(&s, state: state, top: false)
                prefix.removeLast(prefix.count - mark)
                continue
            }
            message.append(contentsOf: prefix)
            message.append(contentsOf: keyBytes[keyRange])
            switch member.kind {
            case .string: message.append(contentsOf: state.text(JSONStringSpan(range: member.span, hasEscapes: member.hasEscapes), in: s))
            case .number: appendNumber(s.bytes(member.span))
            case .bool: append(s.bytes(member.value..<(member.value + 1)).first == UInt8(ascii: "t") ? "True" : "False")
            case .null: append("None")
            default:
                s.position = member.value
                try appendRepr(&s, state: state)
            }
        }
        s.position = end
        members.removeLast(members.count - frame)
        keyBytes.removeLast(keyBytes.count - keyMark)
    }

    /// A number as Python's `str` gives it: the token (written by `repr`), or `nan`,
    /// `inf`, `-inf` for the spellings `json.dumps` uses for non-finite floats.
    private func appendNumber(_ token: UnsafeRawBufferPointer) {
        switch token.first {
        case UInt8(ascii: "N"): append("nan")
        case UInt8(ascii: "I"): append("inf")
        case UInt8(ascii: "-") where token.count > 1 && token[1] == UInt8(ascii: "I"): append("-inf")
        default: message.append(contentsOf: token)
        }
    }

    /// Python's `repr` of `decode_unicode(value)`, for list elements.
    private func appendRepr(_ s: inout JSONScanner, state: DecoderState) throws(JSONSyntaxError) {
        switch try s.peekKind() {
        case .string:
            appendBytesRepr(state.text(try s.readString(), in: s))
        case .array:
            try s.beginArray()
            message.append(UInt8(ascii: "["))
            var first = true, separated = false
            while try s.nextElement(&first) {
                if separated { append(", ") }
                separated = true
                try appendRepr(&s, state: state)
            }
            message.append(UInt8(ascii: "]"))
        case .object:
            // decode_unicode rebuilds the dict in sorted key order, keys as bytes.
            try s.beginObject()
            let frame = members.count, keyMark = keyBytes.count
            var first = true
            while let keySpan = try s.nextMember(&first) {
                let key = state.key(keySpan, in: s)
                members.append(Member(keyStart: keyBytes.count, keyLength: key.count, value: s.position))
                keyBytes.append(contentsOf: key)
                try s.skipValue()
            }
            let end = s.position
            sortMembers(frame..<members.count)
            message.append(UInt8(ascii: "{"))
            for m in frame..<members.count {
                if m > frame { append(", ") }
                let member = members[m]
                keyBytes.withUnsafeBytes { keys in
                    appendBytesRepr(UnsafeRawBufferPointer(rebasing: keys[member.keyStart..<(member.keyStart + member.keyLength)]))
                }
                append(": ")
                s.position = member.value
                try appendRepr(&s, state: state)
            }
            message.append(UInt8(ascii: "}"))
            s.position = end
            members.removeLast(members.count - frame)
            keyBytes.removeLast(keyBytes.count - keyMark)
        default:
            try appendScalar(&s)
        }
    }

    /// Numbers as their token (Python wrote it with `repr`), `True`, `False`, `None`.
    private func appendScalar(_ s: inout JSONScanner) throws(JSONSyntaxError) {
        switch try s.peekKind() {
        case .number:
            appendNumber(s.bytes(try s.readNumber().range))
        case .bool: append(try s.readBool() ? "True" : "False")
        case .null:
            try s.readNull()
            append("None")
        default:
            try s.skipValue()
        }
    }

    /// Python's `repr(bytes)`: `b'…'` (or `b"…"` when the text has `'` and no `"`), with
    /// `\\`, the quote, `\t`, `\n`, `\r` escaped and other bytes outside 0x20–0x7E as `\xhh`.
    private func appendBytesRepr(_ text: UnsafeRawBufferPointer) {
        let quote: UInt8 = text.contains(UInt8(ascii: "'")) && !text.contains(UInt8(ascii: "\""))
            ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        message.append(UInt8(ascii: "b"))
        message.append(quote)
        for b in text {
            switch b {
            case quote, UInt8(ascii: "\\"):
                message.append(UInt8(ascii: "\\"))
                message.append(b)
            case 0x09: append("\\t")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x20..<0x7F: message.append(b)
            default:
                append("\\x")
                message.append(Self.hexDigits[Int(b >> 4)])
                message.append(Self.hexDigits[Int(b & 0xF)])
            }
        }
        message.append(quote)
    }

    @inline(__always)
    private func append(_ literal: StaticString) {
        message.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Sorts members by key bytes: UTF-8 order is code point order, which is how
    /// Python sorts `str` keys. In place and without allocating (the standard library's
    /// stable sort takes a buffer for more than 20 elements): insertion sort for the
    /// usual few dozen keys, heapsort beyond, so a hostile object cannot make it quadratic.
    /// Keys within an object are distinct (repeats are refused first), so stability is moot.
    private func sortMembers(_ range: Range<Int>) {
        guard range.count > 1 else { return }
        keyBytes.withUnsafeBufferPointer { keys in
            members.withUnsafeMutableBufferPointer { all in
                let m = UnsafeMutableBufferPointer(rebasing: all[range])
                func less(_ a: Member, _ b: Member) -> Bool {
                    let n = min(a.keyLength, b.keyLength)
                    let order = n == 0 ? 0 : memcmp(keys.baseAddress! + a.keyStart, keys.baseAddress! + b.keyStart, n)
                    return order != 0 ? order < 0 : a.keyLength < b.keyLength
                }
                if m.count <= 48 {
                    for i in 1..<m.count {
                        let x = m[i]
                        var j = i
                        while j > 0 && less(x, m[j - 1]) { m[j] = m[j - 1]; j -= 1 }
                        m[j] = x
                    }
                    return
                }
                func siftDown(_ start: Int, _ end: Int) {
                    var root = start
                    while 2 * root + 1 < end {
                        var child = 2 * root + 1
                        if child + 1 < end && less(m[child], m[child + 1]) { child += 1 }
                        guard less(m[root], m[child]) else { return }
                        m.swapAt(root, child)
                        root = child
                    }
                }
                for start in stride(from: m.count / 2 - 1, through: 0, by: -1) { siftDown(start, m.count) }
                for end in stride(from: m.count - 1, to: 0, by: -1) {
                    m.swapAt(0, end)
                    siftDown(0, end)
                }
            }
        }
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        bytes.count == literal.utf8CodeUnitCount && bytesEqual(bytes.baseAddress!, literal.utf8Start, bytes.count)
    }
}
