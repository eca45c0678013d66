/// A fault to inject into the next calls of one vendor.
public enum SandboxFault: Sendable, Hashable {
    /// Answer with `status` (429 and 503 carry `Retry-After` when `retryAfterSeconds` is set).
    case status(Int, retryAfterSeconds: Int? = nil)
    /// Answer normally, after `milliseconds`.
    case delay(milliseconds: Int)
    /// Never answer in time: hold the call for `seconds`, then close it.
    case hang(seconds: Int)
    /// Close the connection without an answer.
    case reset
    /// Answer as a hostile or broken vendor might, in place of the stand-in.
    case answer(SandboxHostileAnswer)
}
