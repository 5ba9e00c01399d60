import TallyCore

/// Signs a Ceilometer sample as `ceilometer.publisher.utils.compute_signature` does,
/// for tools and tests that play Ceilometer (the demo's encoder, the end-to-end tests).
/// The rater itself only verifies (`DecoderOptions.signatures`).
public final class CeilometerSigner {
    private let state = DecoderState(symbols: SymbolTable(), plan: .empty)
    private let check: CeilometerSignatureCheck

    public init(authenticator: MessageAuthenticator) {
        check = CeilometerSignatureCheck(authenticator: authenticator)
    }

    /// The lowercase hex `message_signature` of a sample given as its JSON object text
    /// (any `message_signature` already in it is left out, as Ceilometer does); nil if
    /// the text is not a JSON object.
    public func signature(ofSample json: [UInt8]) -> String? {
        json.withUnsafeBytes { raw in
            let scanner = JSONScanner(raw)
            return check.signature(ofSampleAt: 0, in: scanner, state: state)
        }
    }
}
