/// The `tally-format` header: `tally route` re-produces a record's original bytes to the
/// route topic and names their format in it, so the rater decodes a Ceilometer
/// notification as one even on a topic configured for native samples.
extension InputFormat {
    /// The header's name.
    public static let headerName: StaticString = "tally-format"

    /// The header value of each format: the format's configuration name.
    private static let headerValues: [(StaticString, InputFormat)] = [
        ("ceilometer", .ceilometer), ("native", .native), ("cloudevents", .cloudEvents), ("auto", .nativeOrCloudEvents),
    ]

    /// The format a header value names, compared byte for byte (no String is made: it runs
    /// once per routed record); `nil` for a value that names none.
    public init?(header value: UnsafeRawBufferPointer) {
        for (name, format) in Self.headerValues where name.utf8CodeUnitCount == value.count {
            if UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount).elementsEqual(value) {
                self = format
                return
            }
        }
        return nil
    }

    /// Why a record whose header names no format is refused (the error path only).
    public static func unknownHeader(_ value: UnsafeRawBufferPointer) -> RecordDecodeError {
        let shown = String(decoding: value.prefix(64), as: UTF8.self)
        let known = headerValues.map { "\($0.0)" }.joined(separator: ", ")
        return RecordDecodeError(reason: .badEnvelope,
                                 detail: "header \(headerName) is '\(shown)'\(value.count > 64 ? "…" : ""), not a format tally decodes (\(known))")
    }
}
