import Testing
import TallyCore

/// The buckets of `/metrics` histograms: an observation equal to a bound counts in that bound's
/// bucket (Prometheus' `le` is "less or equal"), buckets are cumulative, `+Inf` is the count.
@Suite struct LatencyHistogramTests {
    @Test func boundsAreInclusiveAndBucketsCumulative() {
        var histogram = LatencyHistogram()
        histogram.record(nanos: 1_000_000)        // exactly 1 ms: le="0.001"
        histogram.record(nanos: 1_000_001)        // just above: le="0.0025"
        histogram.record(nanos: 100)              // le="0.0005"
        histogram.record(nanos: 60_000_000_000)   // a minute: only +Inf
        let buckets = Dictionary(uniqueKeysWithValues: histogram.cumulativeBuckets.map { ($0.le, $0.count) })
        #expect(buckets["0.0005"] == 1)
        #expect(buckets["0.001"] == 2)
        #expect(buckets["0.0025"] == 3)
        #expect(buckets["10"] == 3)
        #expect(buckets["+Inf"] == 4)
        #expect(histogram.count == 4)
        #expect(histogram.sumNanos == 60_002_000_101)
    }
}
