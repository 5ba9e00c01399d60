import Testing
@testable import TallyCore

func dec(_ text: String) -> ExactDecimal { ExactDecimal(text)! }
func key(_ n: UInt64) -> SampleKey { SampleKey(high: 0, low: n) }

let hourWindow = WindowBounds(start: EventTime(micros: 0), end: EventTime(micros: 3_600_000_000))
func minute(_ m: Int64) -> EventTime { EventTime(micros: m * 60_000_000) }

/// Folds `(minute, value)` samples in the given order; keys follow the list order.
func folded(_ aggregation: Aggregation, _ samples: [(Int64, String)], order: [Int]? = nil,
            window: WindowBounds = hourWindow) -> Accumulator {
    var acc = Accumulator(aggregation: aggregation, window: window)
    for i in order ?? Array(samples.indices) {
        acc.fold(dec(samples[i].1), at: minute(samples[i].0), key: key(UInt64(i)))
    }
    return acc
}

@Suite struct AccumulatorTests {
    let gauge: [(Int64, String)] = [(0, "2"), (10, "4.5"), (20, "1"), (40, "4.5"), (55, "3")]

    @Test func simpleAggregations() {
        #expect(folded(.sum, gauge).quantity == dec("15"))
        #expect(folded(.max, gauge).quantity == dec("4.5"))
        #expect(folded(.min, gauge).quantity == dec("1"))
        #expect(folded(.avg, gauge).quantity == dec("3"))
        #expect(folded(.count, gauge).quantity == dec("5"))
        #expect(folded(.last, gauge).quantity == dec("3"))
        #expect(folded(.uniqueCount, gauge).quantity == dec("4"))
        #expect(folded(.sum, gauge).sampleCount == 5)
    }

    @Test func emptyWindowsAreZero() {
        for aggregation in Aggregation.allCases {
            #expect(Accumulator(aggregation: aggregation, window: hourWindow).quantity == .zero, "\(aggregation)")
        }
    }

    @Test func uniqueCountUsesNumericEquality() {
        #expect(folded(.uniqueCount, [(0, "1"), (1, "1.0"), (2, "1.00"), (3, "-1")]).quantity == dec("2"))
    }

    @Test func lastBreaksTimestampTiesBySampleKey() {
        // Two samples at the same instant: the greater key wins, in either arrival order.
        let tie: [(Int64, String)] = [(30, "7"), (30, "9"), (10, "100")]
        #expect(folded(.last, tie, order: [0, 1, 2]).quantity == dec("9"))
        #expect(folded(.last, tie, order: [2, 1, 0]).quantity == dec("9"))
    }

    @Test func timeWeightedAverageOfAStepFunction() {
        // 2 for 10 min, 4.5 for 10, 1 for 20, 4.5 for 15, 3 for 5: (20+45+20+67.5+15)/60.
        let twa = folded(.timeWeightedAverage, gauge).quantity
        #expect(closeTo(twa * dec("60"), dec("167.5")), "\(twa)")
        #expect(!closeTo(twa * dec("60"), dec("167.6")))
    }

    @Test func timeWeightedAverageBackfillsOrUsesThePreviousValue() {
        // First sample at minute 30: without a previous point its value covers the whole hour.
        let late: [(Int64, String)] = [(30, "4"), (45, "8")]
        #expect(folded(.timeWeightedAverage, late).quantity == dec("5"))  // (4·45 + 8·15)/60
        var seeded = folded(.timeWeightedAverage, late)
        seeded.seedPrevious(dec("2"), at: minute(-5))
        #expect(seeded.quantity == dec("4"))  // (2·30 + 4·15 + 8·15)/60
        // A point inside the window is not a seed.
        var wrong = folded(.timeWeightedAverage, late)
        wrong.seedPrevious(dec("100"), at: minute(1))
        #expect(wrong.quantity == dec("5"))
    }

    @Test func increaseHandlesCounterResets() {
        // 100 → 150 (+50) → 30 (reset: +30) → 80 (+50) → 80 (+0).
        let counter: [(Int64, String)] = [(0, "100"), (10, "150"), (20, "30"), (30, "80"), (40, "80")]
        #expect(folded(.increase, counter).quantity == dec("130"))
        var seeded = folded(.increase, counter)
        seeded.seedPrevious(dec("90"), at: minute(-10))
        #expect(seeded.quantity == dec("140"))
        // Values above 2^53 stay exact (Ceilometer cpu in ns).
        let big: [(Int64, String)] = [(0, "210000000000000001"), (10, "210000000600000003")]
        #expect(folded(.increase, big).quantity == dec("600000002"))
    }

    @Test(arguments: Aggregation.allCases)
    func arrivalOrderDoesNotChangeTheQuantity(aggregation: Aggregation) {
        let samples: [(Int64, String)] = [(0, "100"), (7, "180"), (13, "20"), (13, "25"), (29, "90"), (41, "5"), (59, "70")]
        let reference = folded(aggregation, samples).quantity
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let order = Array(samples.indices).shuffled(using: &generator)
            #expect(folded(aggregation, samples, order: order).quantity == reference, "\(aggregation) \(order)")
        }
    }

    @Test(arguments: Aggregation.allCases)
    func mergingSplitsGivesTheSameQuantity(aggregation: Aggregation) {
        let samples: [(Int64, String)] = [(0, "100"), (7, "180"), (13, "20"), (29, "90"), (41, "5"), (59, "70")]
        let whole = folded(aggregation, samples)
        var left = Accumulator(aggregation: aggregation, window: hourWindow)
        var right = left
        for (i, s) in samples.enumerated() {
            if i % 2 == 0 { left.fold(dec(s.1), at: minute(s.0), key: key(UInt64(i))) }
            else { right.fold(dec(s.1), at: minute(s.0), key: key(UInt64(i))) }
        }
        left.merge(right)
        #expect(left.quantity == whole.quantity)
        #expect(left.sampleCount == whole.sampleCount)
    }

    @Test func uniqueCountSaturatesAtItsBound() {
        var acc = Accumulator(aggregation: .uniqueCount, window: hourWindow)
        for i in 0..<(DistinctValues.limit + 10) { acc.fold(ExactDecimal(i), at: minute(1), key: key(UInt64(i))) }
        #expect(acc.isSaturated)
        #expect(acc.quantity == ExactDecimal(DistinctValues.limit))
    }
}

/// Equal within 10^-15: for results of a division, whose last digit depends on rounding.
func closeTo(_ a: ExactDecimal, _ b: ExactDecimal) -> Bool {
    let difference = a - b
    let magnitude = difference.isNegative ? -difference : difference
    return magnitude < dec("0.000000000000001")
}
