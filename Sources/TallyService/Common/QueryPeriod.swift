import Foundation
import Hummingbird
import TallyCore
import TallyWire

/// The `begin`/`end` query parameters of the read endpoints. CloudKitty's default is the
/// current month (UTC): from its first instant to the first instant of the next month.
/// The client sends Python's `str(datetime)` (`2026-11-01 00:00:00`, zone-less = UTC) or ISO 8601.
struct QueryPeriod {
    var begin: EventTime
    var end: EventTime

    init(begin: EventTime, end: EventTime) { self.begin = begin; self.end = end }

    init(_ request: Request, now: Date = Date()) throws {
        let query = request.uri.queryParameters
        let month = Self.currentMonth(now)
        begin = try query.get("begin").map { try Self.time(String($0), name: "begin") } ?? month.begin
        end = try query.get("end").map { try Self.time(String($0), name: "end") } ?? month.end
        guard begin < end else {
            throw HTTPError(.badRequest, message: "begin (\(Timestamps.iso8601(begin))) must be before end (\(Timestamps.iso8601(end))).")
        }
    }

    static func time(_ text: String, name: String) throws -> EventTime {
        // A plain date is its midnight (UTC). Python's urlencode writes the space between
        // date and time as `+` (form encoding), which the URI decoder leaves as is.
        var full = text.count == 10 ? text + "T00:00:00Z" : text
        if full.count > 10, full[full.index(full.startIndex, offsetBy: 10)] == "+" {
            full.replaceSubrange(full.index(full.startIndex, offsetBy: 10)...full.index(full.startIndex, offsetBy: 10), with: " ")
        }
        do { return try TimestampParser.parse(full) } catch {
            throw HTTPError(.badRequest, message: "Invalid \(name) '\(text)': \(error)")
        }
    }

    static func currentMonth(_ now: Date) -> (begin: EventTime, end: EventTime) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: now)
        let first = calendar.date(from: parts)!
        let next = calendar.date(byAdding: .month, value: 1, to: first)!
        return (EventTime(date: first), EventTime(date: next))
    }
}

extension EventTime {
    init(date: Date) { self.init(micros: Int64((date.timeIntervalSince1970 * 1_000_000).rounded())) }
    var date: Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
}

/// Times as CloudKitty's v1 (WSME) writes them: ISO 8601 without a zone, meaning UTC.
enum V1Time {
    static func text(_ time: EventTime) -> String {
        let iso = Timestamps.iso8601(time)
        return iso.hasSuffix("Z") ? String(iso.dropLast()) : iso
    }
}

/// CloudKitty's v2 list parameters: repeated (`?groupby=a&groupby=b`) or comma-separated.
extension Request {
    func listParameter(_ name: String) -> [String] {
        uri.queryParameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
    }

    /// `filters=k:v,k2:v2` (v2): values of one key are alternatives. A member without `:` is a 400.
    func filtersParameter() throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for item in listParameter("filters") {
            guard let colon = item.firstIndex(of: ":"), colon != item.startIndex else {
                throw HTTPError(.badRequest, message: "Invalid filter '\(item)': expected key:value.")
            }
            out[String(item[..<colon]), default: []].insert(String(item[item.index(after: colon)...]))
        }
        return out
    }

    /// A non-negative integer parameter (offset, limit).
    func integerParameter(_ name: String, default value: Int, minimum: Int = 0) throws -> Int {
        guard let text = uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), number >= minimum else {
            throw HTTPError(.badRequest, message: "Invalid \(name) '\(text)': expected an integer ≥ \(minimum).")
        }
        return number
    }

    func boolParameter(_ name: String) -> Bool {
        guard let text = uri.queryParameters.get(name)?.lowercased() else { return false }
        return ["true", "1", "yes", "on"].contains(text)
    }
}
