/// The persisted form of an accumulator (for LMDB):
///
///     version(1) aggregation(1) windowStart(zz) windowLength(zz) sampleCount(zz) state
///
/// where state is, by aggregation: sum/avg/count — total(dec); max/min — flag(1)
/// [value(dec)]; last — flag(1) [point]; unique_count — saturated(1) n(zz)
/// n × fingerprint delta(varint); time_weighted_avg/increase — flag(1) [previous point]
/// n(zz) n × point. A point is time − windowStart(zz), key(16, big-endian), value(dec).
/// zz = zigzag LEB128; dec = zigzag LEB128 coefficient then zigzag exponent.
extension Accumulator {
    static let encodingVersion: UInt8 = 1

    /// Appends the binary form to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        let count = encodedCount, old = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
    }

    /// The length of the binary form: what `encode(into:)` writes.
    public var encodedCount: Int {
        typealias W = WindowStateWriter
        var n = 2 + W.signedLength(window.start.micros) + W.signedLength(window.end.micros - window.start.micros)
            + W.signedLength(sampleCount)
        let start = window.start.micros
        func point(_ p: SamplePoint) -> Int { W.signedLength(p.time.micros - start) + 16 + W.decimalLength(p.value) }
        switch state {
        case .total(let total): n += W.decimalLength(total)
        case .extremum(let value): n += 1 + (value.map(W.decimalLength) ?? 0)
        case .last(let p): n += 1 + (p.map(point) ?? 0)
        case .distinct(let values):
            n += 1 + W.signedLength(Int64(values.fingerprints.count))
            var before: UInt64 = 0
            for f in values.fingerprints { n += W.length64(f - before); before = f }
        case .series(let series):
            n += 1 + (series.previous.map(point) ?? 0) + W.signedLength(Int64(series.points.count))
            for p in series.points { n += point(p) }
        }
        return n
    }

    /// Writes the binary form into `buffer`, which must be `encodedCount` bytes: the commit
    /// writes it straight into the window's record, in the space the store reserved for it.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        var w = WindowStateWriter(buffer)
        w.byte(Self.encodingVersion)
        w.byte(aggregation.rawValue)
        w.signed(window.start.micros)
        w.signed(window.end.micros - window.start.micros)
        w.signed(sampleCount)
        let start = window.start.micros
        func point(_ p: SamplePoint) {
            w.signed(p.time.micros - start); w.key(p.key); w.decimal(p.value)
        }
        switch state {
        case .total(let total): w.decimal(total)
        case .extremum(let value):
            w.byte(value == nil ? 0 : 1)
            if let value { w.decimal(value) }
        case .last(let p):
            w.byte(p == nil ? 0 : 1)
            if let p { point(p) }
        case .distinct(let values):
            w.byte(values.saturated ? 1 : 0)
            w.signed(Int64(values.fingerprints.count))
            var before: UInt64 = 0
            for f in values.fingerprints { w.unsigned64(f - before); before = f }
        case .series(let series):
            w.byte(series.previous == nil ? 0 : 1)
            if let p = series.previous { point(p) }
            w.signed(Int64(series.points.count))
            for p in series.points { point(p) }
        }
        precondition(w.isFull, "accumulator: encodedCount is not what was written")
    }

    /// Reads an accumulator written by `encode(into:)`; the bytes must hold exactly one.
    public static func decode(from bytes: UnsafeRawBufferPointer) throws -> Accumulator {
        var r = WindowStateReader(bytes: bytes)
        let version = try r.byte()
        guard version == encodingVersion else { throw r.fail("unknown encoding version \(version)") }
        let tag = try r.byte()
        guard let aggregation = Aggregation(rawValue: tag) else { throw r.fail("unknown aggregation \(tag)") }
        let start = try r.signed()
        let length = try r.signed()
        guard length > 0 else { throw r.fail("window length \(length) is not positive") }
        let window = WindowBounds(start: EventTime(micros: start), end: EventTime(micros: start + length))
        let sampleCount = try r.signed()
        func point() throws -> SamplePoint {
            let time = EventTime(micros: start + (try r.signed()))
            let key = try r.key()
            return SamplePoint(time: time, key: key, value: try r.decimal())
        }
        func flag() throws -> Bool {
            let b = try r.byte()
            guard b <= 1 else { throw r.fail("bad flag \(b)") }
            return b == 1
        }
        let state: State
        switch aggregation {
        case .sum, .avg, .count: state = .total(try r.decimal())
        case .max, .min: state = .extremum(try flag() ? try r.decimal() : nil)
        case .last: state = .last(try flag() ? try point() : nil)
        case .uniqueCount:
            var values = DistinctValues()
            values.saturated = try flag()
            let n = try r.count("fingerprint")
            var before: UInt64 = 0
            values.fingerprints.reserveCapacity(n)
            for i in 0..<n {
                let delta = try r.unsigned(maxBits: 70)
                guard delta <= UInt128(UInt64.max - before), i == 0 || delta > 0 else { throw r.fail("fingerprints not ascending") }
                before += UInt64(delta)
                values.fingerprints.append(before)
            }
            state = .distinct(values)
        case .timeWeightedAverage, .increase:
            var series = PointSeries()
            if try flag() { series.previous = try point() }
            let n = try r.count("point")
            series.points.reserveCapacity(n)
            for _ in 0..<n {
                let p = try point()
                if let last = series.points.last, !last.precedes(p) { throw r.fail("points not in order") }
                series.points.append(p)
            }
            state = .series(series)
        }
        guard r.index == bytes.count else { throw r.fail("\(bytes.count - r.index) trailing bytes") }
        return Accumulator(aggregation: aggregation, window: window, sampleCount: sampleCount, state: state)
    }

    /// Convenience over `decode(from: UnsafeRawBufferPointer)`.
    public static func decode(from bytes: [UInt8]) throws -> Accumulator {
        try bytes.withUnsafeBytes { try decode(from: $0) }
    }
}
