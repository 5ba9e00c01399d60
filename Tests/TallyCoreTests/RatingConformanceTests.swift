import Testing
@testable import TallyCore

/// The public conformance cases of rating-semantics.md.
@Suite struct RatingConformanceTests {
    @Test func c1ServiceMappingsInTwoGroups() throws {
        let book = try RT.book(groups: ["T"], mappings: [RT.sm("s1", .flat, "1.337", group: "T"), RT.sm("s2", .flat, "1.42")])
        #expect(RT.prices(book) == ["2.757", "5.514", "5.514", "2.757"])
    }

    @Test func c2FieldMappingsFlatAndRate() throws {
        let book = try RT.book(groups: ["T"], mappings: [
            RT.fm("f1", "flavor", "m1.nano", .flat, "1.337", group: "T"),
            RT.fm("f2", "image_id", RT.imageB, .rate, "1.10", group: "T"),
            RT.fm("f3", "flavor", "m1.tiny", .flat, "1.42"),
        ])
        #expect(RT.prices(book) == ["1.337", "2.84", "0", "1.4707"])
    }

    @Test func c3NoMatchingValue() throws {
        let book = try RT.book(mappings: [RT.fm("f1", "flavor", "non-existent", .flat, "1.337")])
        #expect(RT.prices(book) == ["0", "0", "0", "0"])
    }

    @Test func c4FieldThresholds() throws {
        let book = try RT.book(thresholds: [RT.th("t1", field: "memory", "64", .flat, "0.1337"),
                                            RT.th("t2", field: "memory", "128", .flat, "0.2")])
        #expect(RT.prices(book) == ["0.1337", "0.4", "0.4", "0.1337"])
    }

    @Test func c5FieldThresholdNeverReached() throws {
        let book = try RT.book(thresholds: [RT.th("t1", field: "memory", "32768", .flat, "0.1337")])
        #expect(RT.prices(book) == ["0", "0", "0", "0"])
    }

    @Test func c6ServiceThresholds() throws {
        let book = try RT.book(thresholds: [RT.th("t1", "1", .flat, "0.1"), RT.th("t2", "2", .flat, "0.15")])
        #expect(RT.prices(book) == ["0.1", "0.15", "0.15", "0.1"])
    }

    @Test func accumulatorFlatsKeepTheMaximum() throws {
        // Flats 1, 0.5, 1.5 in one group: after each, flat is 1, 1, 1.5.
        let costs = ["1", "0.5", "1.5"]
        var expected: [String] = []
        for n in 1...3 {
            let fields = (0..<n).map { "f\($0)" }
            let service = ServiceDeclaration(name: "compute", fields: fields)
            let book = try RT.book(services: [service], mappings: (0..<n).map { RT.fm("m\($0)", "f\($0)", "x", .flat, costs[$0]) })
            let input = RT.input(qty: "1", fields.map { ($0, MetaKind.string, "x") })
            let steps = groupSteps(Rater(book: book).rate(input))
            expected.append(steps.first!.flat.canonicalText)
        }
        #expect(expected == ["1", "1", "1.5"])
    }

    @Test func accumulatorRatesMultiply() throws {
        let service = ServiceDeclaration(name: "compute", fields: ["a", "b", "c"])
        let book = try RT.book(services: [service], mappings: [
            RT.fm("a", "a", "x", .rate, "0.5"), RT.fm("b", "b", "x", .rate, "0.5"), RT.fm("c", "c", "x", .rate, "1"),
        ])
        let result = Rater(book: book).rate(RT.input(qty: "1", [("a", .string, "x"), ("b", .string, "x"), ("c", .string, "x")]))
        #expect(groupSteps(result).first?.rate == RT.d("0.25"))
        #expect(result.price == .zero)  // a group with only rate rules prices to 0
    }

    @Test func accumulatorThresholdKeepsHighestLevel() throws {
        // Hits (0, 0.01), (10, 1), (15, 1.1), (10, 2.2) → level 15, cost 1.1.
        let service = ServiceDeclaration(name: "compute", fields: ["a", "b"])
        let book = try RT.book(services: [service], thresholds: [
            RT.th("t0", field: "a", "0", .flat, "0.01"), RT.th("t10", field: "a", "10", .flat, "1"),
            RT.th("t15", field: "a", "15", .flat, "1.1"), RT.th("t10b", field: "b", "10", .flat, "2.2"),
        ])
        let result = Rater(book: book).rate(RT.input(qty: "1", [("a", .int, "20"), ("b", .int, "20")]))
        let threshold = groupSteps(result).first?.threshold
        #expect(threshold?.level == RT.d("15"))
        #expect(threshold?.cost == RT.d("1.1"))
        #expect(result.price == RT.d("1.1"))
    }

    @Test func volumeTypes() throws {
        let service = ServiceDeclaration(name: "volume.size", fields: ["volume_type"])
        let book = try RT.book(services: [service], mappings: [
            RT.fm("gold", "volume_type", "SSD_gold", .flat, "0.03", service: "volume.size"),
            RT.fm("silver", "volume_type", "SSD_silver", .flat, "0.02", service: "volume.size"),
            RT.fm("bronze", "volume_type", "HDD_bronze", .flat, "0.01", service: "volume.size"),
        ])
        let points = [("SSD_gold", "10"), ("HDD_bronze", "1"), ("SSD_silver", "0.5")].map {
            RT.input(service: "volume.size", qty: $0.1, [("volume_type", .string, $0.0)])
        }
        #expect(RT.prices(book, points) == ["0.3", "0.01", "0.01"])
    }

    func groupSteps(_ result: RatingResult) -> [GroupStep] {
        for step in result.explanation.modules { if case .hashmap(let groups) = step.detail { return groups } }
        return []
    }
}
