import Foundation
import Testing
import TallyCore
@testable import TallyWire

/// Specific fixture samples checked against values read from the fixture by hand.
@Suite struct CeilometerSpotCheckTests {
    static let decoded = CeilometerFixtureTests.decodeAll()

    static func sample(_ messageID: String) -> Decoded? {
        decoded.samples.first { $0.key == SampleKey.identity(of: messageID) }
    }

    static func utcMicros(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, micros: Int64 = 0) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
        return Int64(date.timeIntervalSince1970) * 1_000_000 + micros
    }

    @Test func cpuAboveTwoToThe53IsExact() throws {
        let cpu = try #require(Self.sample("a392be0b-d650-11f1-bc02-0281dc160b2a"))
        #expect(cpu.metric == "cpu")
        #expect(cpu.counterType == .cumulative)
        #expect(cpu.unit == "ns")
        #expect(cpu.volume.coefficient == 212_065_572_540_217_650)
        #expect(cpu.volume.exponent == 0)
        #expect(cpu.volume.coefficient > 1 << 53)
        #expect(cpu.timestamp.micros == Self.utcMicros(2026, 11, 2, 0, 2, 5, micros: 522_689))
        // 36 cpu samples in the fixture are above 2^53; all of them stay integral.
        let big = Self.decoded.samples.filter { $0.volume.coefficient > 1 << 53 }
        #expect(big.count == 36)
        #expect(big.allSatisfy { $0.volume.exponent == 0 && $0.metric == "cpu" })
    }

    @Test func timestampWithoutFractionOrZone() throws {
        let vcpus = try #require(Self.sample("515e8a97-d653-11f1-be9d-028421462c8a"))
        #expect(vcpus.timestamp.micros == Self.utcMicros(2026, 11, 2, 0, 21, 16))
        let offset = try #require(Self.sample("9899e792-d657-11f1-86ed-0217b0579545"))
        #expect(offset.timestamp.micros == Self.utcMicros(2026, 11, 2, 0, 51, 53, micros: 566_695))
    }

    @Test func escapedTwiceProjectNameIsUTF8() throws {
        let symbols = Self.decoded.symbols
        let slot = try #require(CeilometerFixtureTests.plan.slot(named: "project_name"))
        let names = Set(Self.decoded.samples.compactMap { $0.metadata[slot].kind == .string ? $0.metadata[slot].text : nil })
        #expect(names.contains("équipe-données"))
        #expect(Array("équipe-données".utf8) == symbols.lookup("équipe-données").map { s in
            symbols.withBytes(Symbol(raw: s.raw)) { Array($0) } })
        // Notification-derived samples carry project_name null.
        #expect(Self.decoded.samples.contains { $0.metadata[slot].kind == .null })
    }

    @Test func flavorFromPolledAndNotificationSamples() throws {
        let slot = try #require(CeilometerFixtureTests.plan.slot(named: "flavor_name"))
        let polled = try #require(Self.sample("8620f42c-d650-11f1-86ed-0217b0579545"))
        let notified = try #require(Self.sample("f9b0f43d-d657-11f1-be9d-028421462c8a"))
        #expect(polled.metadata[slot].kind == .string && polled.metadata[slot].text == "m1.large")
        #expect(notified.metadata[slot].kind == .string && notified.metadata[slot].text == "m1.large")
        #expect(notified.volume.coefficient == 8192)
        // Every memory and vcpus sample finds a flavor by one path or the other.
        let compute = Self.decoded.samples.filter { $0.metric == "memory" || $0.metric == "vcpus" }
        #expect(compute.count == 398)
        #expect(compute.allSatisfy { $0.metadata[slot].kind == .string })
    }

    @Test func nestedObjectIsRawJSONAndIntegersKeepTheirKind() throws {
        let polled = try #require(Self.sample("8620f42c-d650-11f1-86ed-0217b0579545"))
        let flavor = polled.metadata[try #require(CeilometerFixtureTests.plan.slot(named: "flavor"))]
        #expect(flavor.kind == .other)
        #expect(flavor.text.hasPrefix("{\"id\": \"4\", \"name\": \"m1.large\""))
        let vcpus = polled.metadata[try #require(CeilometerFixtureTests.plan.slot(named: "vcpus"))]
        #expect(vcpus.kind == .int && vcpus.text == "4")
    }

    @Test func floatVolumeAndNullUsers() throws {
        let boot = try #require(Self.sample("8a7dab02-d678-11f1-86ed-0217b0579545"))
        #expect(boot.volume.coefficient == 59_279_056 && boot.volume.exponent == -6)
        #expect(boot.user == .none)
        #expect(Self.decoded.samples.filter { $0.user == .none }.count == 66)
        #expect(Self.decoded.samples.filter { $0.metric == "image.size" }.allSatisfy { $0.user == .none })
    }

    @Test func volumeTypeIsANameInPolledVolumeSamples() throws {
        let volume = try #require(Self.sample("bb8eb7ba-d651-11f1-be9d-028421462c8a"))
        let slot = try #require(CeilometerFixtureTests.plan.slot(named: "volume_type"))
        #expect(volume.metadata[slot].text == "SSD_gold")
    }
}
