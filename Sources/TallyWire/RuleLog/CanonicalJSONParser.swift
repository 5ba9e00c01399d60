import TallyCore

/// Public entry to the tree parser, for tools that read Tally's own canonical records
/// back (frames in `tally replay` and `tally verify`), never samples.
public enum CanonicalJSONParser {
    /// The tree of `bytes`; throws on invalid JSON, duplicate keys or non-integer numbers.
    public static func parse(_ bytes: [UInt8]) throws -> CanonicalJSON { try JSONTreeParser.parse(bytes) }
}
