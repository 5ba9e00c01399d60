/// A keyed MAC over a whole message, 32 bytes long (HMAC-SHA256 for Ceilometer's
/// `message_signature`). The decoders build the message; the MAC itself comes from a
/// crypto library behind this protocol (`HMACSHA256` in TallyRuntime, over Debian's
/// libcrypto), so TallyWire stays free of C and of secrets.
public protocol MessageAuthenticator: AnyObject {
    /// Writes the 32-byte MAC of `message` to `digest`. Called once per signed sample
    /// on the hot path: implementations must not allocate.
    func authenticate(_ message: UnsafeRawBufferPointer, into digest: UnsafeMutablePointer<UInt8>)

    /// An authenticator with the same key and state of its own, for a decoder on another
    /// thread: an implementation may keep one context that is not thread-safe.
    func independentCopy() throws -> MessageAuthenticator
}

/// Per-input decoding policy (`kafka.inputs[]` in the service configuration).
/// Sendable because engine settings carry it. The authenticator in it may keep one MAC
/// context, which is not thread-safe: the decode thread's decoders (`AheadDecoder`) take an
/// `independentCopy()` of it, so no two threads ever share one.
public struct DecoderOptions: @unchecked Sendable, Equatable {
    /// When set, every Ceilometer sample must carry a `message_signature` that this
    /// authenticator (keyed with the telemetry secret) reproduces; others are
    /// `bad-signature`.
    public var signatures: MessageAuthenticator?
    /// The notification priorities accepted on a Ceilometer input; a notification with
    /// another one is `unexpected-priority`. Ceilometer's sample publisher sends
    /// `SAMPLE` (oslo.messaging's `Notifier.sample`). Empty accepts any.
    public var acceptedPriorities: [String]

    public init(signatures: MessageAuthenticator? = nil, acceptedPriorities: [String] = ["SAMPLE"]) {
        self.signatures = signatures
        self.acceptedPriorities = acceptedPriorities
    }

    public static func == (a: DecoderOptions, b: DecoderOptions) -> Bool {
        a.signatures === b.signatures && a.acceptedPriorities == b.acceptedPriorities
    }
}
