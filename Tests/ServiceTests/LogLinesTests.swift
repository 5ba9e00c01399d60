import Foundation
import Logging
import Testing
import TallyCore
import TallyRuntime

/// The log handler of `tally run` / `tally serve`: JSON lines that any JSON parser reads back
/// (quotes, backslashes, newlines and control characters escaped), and readable text lines.
@Suite struct LogLinesTests {
    final class Lines: @unchecked Sendable {
        var lines: [String] = []
    }

    func logger(_ format: LogFormat, into lines: Lines) -> Logger {
        let sink = LogSink { lines.lines.append($0) }
        return Logger(label: "tally.test") { label in
            TallyLogHandler(label: label, format: format, level: .info, sink: sink, now: { EventTime(micros: 1_764_936_000_000_001) })
        }
    }

    @Test func jsonLinesRoundTripAwkwardTextAndKeepTheReservedKeys() throws {
        let lines = Lines()
        let log = logger(.json, into: lines)
        log.debug("below the level: not written")
        log.notice("rule change \"create\"\nby a\\b", metadata: ["author": "zoë \u{1}", "message": "must not replace the message"])
        #expect(lines.lines.count == 1)
        #expect(!lines.lines[0].contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.lines[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "rule change \"create\"\nby a\\b")
        #expect(object["author"] as? String == "zoë \u{1}")
        #expect(object["level"] as? String == "notice")
        #expect(object["logger"] as? String == "tally.test")
        #expect(object["time"] as? String == "2025-12-05T12:00:00.000001Z")
    }

    @Test func textLinesAreTheMessageThenSortedMetadata() {
        let lines = Lines()
        logger(.text, into: lines).info("tally run: started", metadata: ["state": "s", "inputs": "a,b"])
        logger(.text, into: lines).info("tally run: metrics on http://x")
        #expect(lines.lines == ["tally run: started (inputs=a,b state=s)", "tally run: metrics on http://x"])
    }
}
