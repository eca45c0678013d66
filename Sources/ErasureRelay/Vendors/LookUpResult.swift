/// What the answer to an identifier's look-up found, as the lane needs to know it.
public enum LookUpResult: Sendable {
    /// The vendor's matches, each an item for a delete call of its own; none means the vendor holds no such user.
    case matches([VendorItem])
    /// More matches than the definition allows: none is deleted.
    case tooMany(found: Int, limit: Int)
    /// The look-up was refused, throttled or failed, as a call's answer reads.
    case answered(CallResult)
}
