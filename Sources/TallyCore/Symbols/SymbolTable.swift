/// Interns byte strings so that the hot path carries 4-byte `Symbol`s instead of
/// `String`s. Not thread-safe: one table belongs to one partition worker.
///
/// OWNER: TallyWire helper implements this (byte-keyed open addressing, bytes kept in
/// an arena, no allocation per lookup of an existing string).
public final class SymbolTable {
    public init() {}
}
