import CLua
import TallyCore

/// Converts between `ExactDecimal` and the C layout `TallyDec` used inside Lua userdata.
extension TallyDec {
    init(_ value: ExactDecimal) {
        let bits = UInt128(bitPattern: value.coefficient)
        self.init(lo: UInt64(truncatingIfNeeded: bits),
                  hi: Int64(truncatingIfNeeded: value.coefficient >> 64),
                  exponent: value.exponent)
    }

    var exactDecimal: ExactDecimal {
        let bits = UInt128(UInt64(bitPattern: hi)) << 64 | UInt128(lo)
        return ExactDecimal(coefficient: Int128(bitPattern: bits), exponent: exponent)
    }
}

/// The decimal operations Lua's `dec` type calls. They are `@convention(c)` functions
/// without captured context; failures come back as a status and a message, never as a
/// trap or a Swift error crossing C frames.
enum ScriptDecimalBridge {
    /// Installs the operations into the C side once per process (thread-safe lazy init).
    static let installed: Void = {
        var ops = TallyDecOps(parse: parse, arith: arith, compare: compare, format: format)
        tally_dec_install(&ops)
    }()

    private static let parse: @convention(c) (
        UnsafePointer<CChar>?, Int, UnsafeMutablePointer<TallyDec>?, UnsafeMutablePointer<CChar>?, Int
    ) -> Int32 = { text, length, out, err, errCap in
        guard let text, let out else { return -1 }
        let bytes = UnsafeRawBufferPointer(start: text, count: length)
        guard let value = ExactDecimal(ascii: bytes) else {
            let shown = String(decoding: bytes.prefix(40), as: UTF8.self)
            writeMessage("dec('\(shown)'): not a decimal number", into: err, capacity: errCap)
            return -1
        }
        guard let checked = ScriptDecimalGuard.inRange(value) else {
            writeMessage("dec('\(String(decoding: bytes.prefix(40), as: UTF8.self))'): exponent out of range "
                         + "(at most \(ScriptDecimalGuard.maxExponent) places)", into: err, capacity: errCap)
            return -1
        }
        out.pointee = TallyDec(checked)
        return 0
    }

    private static let arith: @convention(c) (
        Int32, UnsafePointer<TallyDec>?, UnsafePointer<TallyDec>?, UnsafeMutablePointer<TallyDec>?,
        UnsafeMutablePointer<CChar>?, Int
    ) -> Int32 = { op, a, b, out, err, errCap in
        guard let a, let b, let out else { return -1 }
        switch ScriptDecimalGuard.apply(op, a.pointee.exactDecimal, b.pointee.exactDecimal) {
        case .success(let value):
            out.pointee = TallyDec(value)
            return 0
        case .failure(let message):
            writeMessage(message.text, into: err, capacity: errCap)
            return -1
        }
    }

    private static let compare: @convention(c) (UnsafePointer<TallyDec>?, UnsafePointer<TallyDec>?) -> Int32 = { a, b in
        guard let a, let b else { return 0 }
        let x = a.pointee.exactDecimal, y = b.pointee.exactDecimal
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    private static let format: @convention(c) (UnsafePointer<TallyDec>?, UnsafeMutablePointer<CChar>?, Int) -> Int = {
        value, buffer, capacity in
        guard let value, let buffer else { return 0 }
        return copyBytes(value.pointee.exactDecimal.description, into: buffer, capacity: capacity)
    }

    /// Copies UTF-8 bytes (no terminator) and returns how many were copied.
    private static func copyBytes(_ text: String, into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        var count = 0
        for byte in text.utf8 where count < capacity {
            buffer[count] = CChar(bitPattern: byte)
            count += 1
        }
        return count
    }

    private static func writeMessage(_ text: String, into buffer: UnsafeMutablePointer<CChar>?, capacity: Int) {
        guard let buffer, capacity > 0 else { return }
        let count = copyBytes(text, into: buffer, capacity: capacity - 1)
        buffer[count] = 0
    }
}
