import Testing
import TallyCore
@testable import TallyWire

/// Every kind of bad input is refused with its own reason, and good samples next to a
/// bad one still come out.
@Suite struct MalformedRecordTests {
    static func recordError(_ text: String) -> RecordDecodeError? {
        let outcome = decodeCeilometer(text)
        #expect(outcome.samples.isEmpty && outcome.rejections.isEmpty, "a failed record must emit nothing")
        return outcome.error
    }

    @Test func goodRecordDecodes() {
        let outcome = decodeCeilometer(Ceilometer.record([Ceilometer.sample()]))
        #expect(outcome.error == nil)
        #expect(outcome.samples.count == 1)
        #expect(outcome.samples.first?.volume.coefficient == 1_034_595_718_072_280)
    }

    @Test(arguments: [
        ("", "empty"),
        ("   \n", "unexpected end"),
        ("\u{1}\u{2}garbage\u{ff}", "expected a JSON value"),
        (#"{"oslo.version": "2.0", "oslo.message": "{\"payload\": [{\"a\": 1}"#, "unterminated string"),
        (#"{"oslo.version": "2.0", "oslo.message": "{}"} trailing"#, "after the top-level value"),
        (#"{"oslo.version": "2.0" "oslo.message": "{}"}"#, "expected ','"),
        // Issue 14: a repeated key is malformed, whichever value a reader would keep.
        (#"{"oslo.message": "{\"payload\": [1]}", "oslo.message": "{}"}"#, "duplicate key 'oslo.message' in an object at byte 39"),
    ])
    func notJSONIsMalformed(text: String, problem: String) throws {
        let error = try #require(Self.recordError(text))
        #expect(error.reason == .malformedJSON)
        #expect(error.detail.contains(problem), "\(error.detail)")
    }

    @Test func truncatedRecordReportsTheByteOffset() throws {
        let full = Ceilometer.record([Ceilometer.sample(), Ceilometer.sample()])
        let truncated = String(full.prefix(full.utf8.count / 2))
        let error = try #require(Self.recordError(truncated))
        #expect(error.reason == .malformedJSON)
        #expect(error.detail.contains("at byte"))
    }

    @Test func malformedInnerMessageIsMalformedJSONNotEnvelope() throws {
        let inner = Ceilometer.notification(payload: "[" + Ceilometer.sample() + "]")
        let error = try #require(Self.recordError(Ceilometer.envelope(String(inner.dropLast(3)))))
        #expect(error.reason == .malformedJSON)
        #expect(error.detail.hasPrefix("oslo.message"))
    }

    @Test(arguments: [
        (#"[1, 2]"#, "record is an array"),
        (#"{"oslo.version": "2.0"}"#, "neither oslo.message nor payload"),
        (#"{"oslo.version": "2.0", "oslo.message": {"payload": []}}"#, "oslo.message is an object, not a JSON string"),
        (#"{"oslo.version": "1.0", "oslo.message": "{}"}"#, "oslo.version"),
        (#"{"oslo.version": "2.0", "oslo.message": "[1]"}"#, "oslo.message is an array"),
        (#"{"oslo.version": "2.0", "oslo.message": "{\"payload\": {\"counter_name\": \"cpu\"}}"}"#, "payload is an object, not a list"),
        (#"{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"metering\"}"}"#, "has no payload"),
    ])
    func wrongWrapperIsBadEnvelope(text: String, problem: String) throws {
        let error = try #require(Self.recordError(text))
        #expect(error.reason == .badEnvelope)
        #expect(error.detail.contains(problem), "\(error.detail)")
    }

    @Test func otherEventTypesAreBadEnvelopes() throws {
        let text = Ceilometer.envelope(Ceilometer.notification(payload: "[" + Ceilometer.sample() + "]",
                                                               eventType: "compute.instance.exists"))
        let error = try #require(Self.recordError(text))
        #expect(error.reason == .badEnvelope)
        #expect(error.detail.contains("compute.instance.exists"))
    }

    @Test func emptyPayload() throws {
        let error = try #require(Self.recordError(Ceilometer.record([])))
        #expect(error.reason == .emptyPayload)
    }

    @Test(arguments: [
        ([ "counter_name": "<omit>"], DeadLetterReason.schemaViolation, "payload[1] has no counter_name"),
        ([ "message_id": "<omit>"], .schemaViolation, "payload[1] has no message_id"),
        ([ "counter_name": "\"\""], .schemaViolation, "payload[1].counter_name is empty"),
        ([ "message_id": "\"\""], .schemaViolation, "payload[1].message_id is empty"),
        ([ "counter_name": "42"], .schemaViolation, "payload[1].counter_name must be a string, found a number"),
        ([ "resource_id": "null"], .schemaViolation, "payload[1].resource_id must be a string, found null"),
        ([ "project_id": "[1]"], .schemaViolation, "payload[1].project_id must be a string or null"),
        ([ "resource_metadata": "\"x\""], .schemaViolation, "resource_metadata must be an object or null"),
        ([ "counter_volume": "true"], .schemaViolation, "counter_volume must be a number"),
        ([ "counter_volume": "\"12abc\""], .schemaViolation, "'12abc' is not a decimal"),
        ([ "counter_volume": "NaN"], .nonFiniteVolume, "payload[1].counter_volume is NaN"),
        ([ "counter_volume": "-Infinity"], .nonFiniteVolume, "is -Infinity"),
        ([ "counter_volume": "\"nan\""], .nonFiniteVolume, "is nan"),
        ([ "counter_volume": "-5"], .negativeVolume, "payload[1].counter_volume is negative (-5)"),
        ([ "counter_volume": "-0.5e3"], .negativeVolume, "negative"),
        ([ "counter_type": "\"rate\""], .unsupportedCounterType, "'rate', not gauge, delta or cumulative"),
        ([ "timestamp": "\"2026-13-01T00:00:00\""], .badTimestamp, "month 13"),
        ([ "timestamp": "\"2026-02-30T00:00:00Z\""], .badTimestamp, "day 30 does not exist"),
        ([ "timestamp": "\"2026-11-02T25:00:00\""], .badTimestamp, "hour 25"),
        ([ "timestamp": "\"yesterday\""], .badTimestamp, "'yesterday'"),
        ([ "timestamp": "1700000000"], .schemaViolation, "timestamp must be an ISO 8601 string"),
    ])
    func oneBadSampleAmongGoodOnes(fields: [String: String], reason: DeadLetterReason, detail: String) throws {
        let good1 = Ceilometer.sample(["message_id": #""11111111-1111-1111-1111-111111111111""#])
        let good2 = Ceilometer.sample(["message_id": #""33333333-3333-3333-3333-333333333333""#])
        let outcome = decodeCeilometer(Ceilometer.record([good1, Ceilometer.sample(fields), good2]))
        #expect(outcome.error == nil)
        #expect(outcome.samples.map(\.key) == [SampleKey.identity(of: "11111111-1111-1111-1111-111111111111"),
                                               SampleKey.identity(of: "33333333-3333-3333-3333-333333333333")])
        let rejection = try #require(outcome.rejections.first)
        #expect(outcome.rejections.count == 1)
        #expect(rejection.reason == reason)
        #expect(rejection.sampleIndex == 1)
        #expect(rejection.detail.contains(detail), "\(rejection.detail)")
    }

    @Test func sampleThatIsNotAnObject() throws {
        let outcome = decodeCeilometer(Ceilometer.record([Ceilometer.sample(), "\"oops\""]))
        #expect(outcome.samples.count == 1)
        #expect(outcome.rejections.first?.reason == .schemaViolation)
        #expect(outcome.rejections.first?.detail == "payload[1] is a string, not an object")
    }

    @Test func firstProblemOfASampleWins() throws {
        let bad = Ceilometer.sample(["counter_volume": "-1", "timestamp": "\"nope\""])
        let outcome = decodeCeilometer(Ceilometer.record([bad]))
        // counter_volume comes before timestamp in the object, so its problem is the one reported.
        #expect(outcome.rejections.map(\.reason) == [.negativeVolume])
    }

    @Test func everyReasonHasItsWireName() {
        #expect(DeadLetterReason.allCases.map(\.rawValue) == [
            "malformed-json", "bad-envelope", "schema-violation", "bad-timestamp", "negative-volume",
            "non-finite-volume", "unsupported-counter-type", "empty-payload", "bad-signature", "unexpected-priority",
            "unknown-metric", "too-late", "no-scope",
            "future-timestamp", "duplicate-record", "conflicting-duplicate",
        ])
    }

    @Test func envelopeLessNotificationIsAccepted() {
        let outcome = decodeCeilometer(Ceilometer.notification(payload: "[" + Ceilometer.sample() + "]"))
        #expect(outcome.error == nil)
        #expect(outcome.samples.count == 1)
    }
}
