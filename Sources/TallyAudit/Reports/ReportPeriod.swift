import TallyCore
import TallyWire

/// The bounds `tally report --from/--to` accept: an ISO 8601 instant, a plain date
/// (`2026-11-01`: local midnight) or a month (`2026-11`: local midnight of the 1st), the
/// local ones in the configured time zone (metrics `time_zone`), so `--from 2026-11
/// --to 2026-12` is November as the customer's calendar has it.
public enum ReportPeriod {
    public static func bound(_ text: String, zone: ZoneRules) throws -> EventTime {
        let b = Array(text.utf8)
        func digits(_ r: Range<Int>) -> Bool { r.allSatisfy { b[$0] >= 48 && b[$0] <= 57 } }
        let isMonth = b.count == 7 && digits(0..<4) && b[4] == UInt8(ascii: "-") && digits(5..<7)
        let isDate = b.count == 10 && digits(0..<4) && b[4] == UInt8(ascii: "-") && digits(5..<7)
            && b[7] == UInt8(ascii: "-") && digits(8..<10)
        guard isMonth || isDate else { return try TimestampParser.parse(text) }
        // Midnight UTC of that day, read as the local wall-clock time it names.
        let utcMidnight = try TimestampParser.parse((isMonth ? text + "-01" : text) + "T00:00:00Z")
        return zone.firstInstant(ofLocal: utcMidnight.micros)
    }
}

/// Decimal places of a currency's minor unit (ISO 4217), for rounding bills for display.
public enum CurrencyMinorUnits {
    static let exceptions: [String: Int] = [
        "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "PYG": 0, "UGX": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]

    /// 2 for most currencies; `override` (the `--decimals` option) wins.
    public static func decimals(for currency: String, override: Int? = nil) -> Int {
        override ?? exceptions[currency.uppercased()] ?? 2
    }
}
