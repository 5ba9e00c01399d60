import Testing
@testable import TallyCore

@Suite struct RatingDescriptionTests {
    @Test func groupbyValuesOverlayMetadata() {
        var d = RatingDescription([(name: "flavor", kind: .string, text: "m1.nano"), (name: "vcpus", kind: .int, text: "1")])
        d.set("flavor", kind: .string, text: "m1.tiny")  // a groupby value wins
        #expect(d.count == 2)
        #expect(d.index(of: "flavor") == 0)
        #expect(d.text(at: 0) == "m1.tiny" && d.kind(at: 0) == .string)
        #expect(d.name(at: 1) == "vcpus" && d.text(at: 1) == "1" && d.kind(at: 1) == .int)
        #expect(d.index(of: "flavo") == nil && d.index(of: "flavors") == nil)
    }

    @Test func absentValuesCountAsMissingAndStorageIsReusable() throws {
        var d = RatingDescription([(name: "flavor", kind: .absent, text: "")])
        #expect(d.index(of: "flavor") == nil)
        let book = try RT.book(mappings: [RT.fm("m", "flavor", "", .flat, "1")])
        #expect(RT.prices(book, [RT.input(qty: "1", [("flavor", .absent, "")])]) == ["0"])
        #expect(RT.prices(book, [RT.input(qty: "1", [("flavor", .string, "")])]) == ["1"])  // empty text is a value
        d.removeAll()
        #expect(d.count == 0)
        d.set("region", kind: .string, text: "eu")
        #expect(d.index(of: "region") == 0 && d.text(at: 0) == "eu")
    }

    @Test func rawByteValuesMatchLikeStrings() throws {
        var d = RatingDescription()
        let name: StaticString = "flavor", value: StaticString = "m1.nano"
        d.set(name: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), kind: .string,
              value: UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
        let book = try RT.book(mappings: [RT.fm("m", "flavor", "m1.nano", .flat, "2")])
        let input = RatingInput(service: "compute", scope: "s", resource: "r", quantity: .one, unit: "u",
                                windowStart: RT.t0, windowEnd: RT.t0, description: d)
        #expect(Rater(book: book).rate(input).price == ExactDecimal(2))
    }
}
