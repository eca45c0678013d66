/// Fans one request out to the lanes of the vendors it targets and gathers their results.
public struct RequestProcessor: Sendable {
    private let lanes: [VendorID: VendorLane]

    /// - Parameter lanes: one per configured vendor; each reads a request with its own adapter.
    public init(lanes: [VendorLane]) {
        self.lanes = Dictionary(uniqueKeysWithValues: lanes.map { ($0.vendor, $0) })
    }

    /// The configured vendors, in a stable order.
    public var configuredVendors: [VendorID] { lanes.keys.sorted() }

    /// Erases `request` at every vendor it targets, concurrently.
    /// - Parameters:
    ///   - request: a valid request.
    ///   - vendors: the vendors to call instead of those the request targets, as for parked work.
    /// - Returns: one result per vendor called, in vendor order; nil if a lane abandoned the request (shutdown),
    ///   in which case no outcome may be published for it.
    public func process(_ request: ErasureRequest, vendors: [VendorID]? = nil) async -> [VendorResult]? {
        let targets = vendors ?? request.vendors ?? configuredVendors
        return await withTaskGroup(of: VendorResult?.self) { group in
            for vendor in targets {
                guard let lane = lanes[vendor] else {
                    group.addTask {
                        VendorResult(
                            vendor: vendor,
                            status: .failed,
                            error: "vendor is not configured on this deployment"
                        )
                    }
                    continue
                }
                group.addTask { await lane.erase(request) }
            }
            var results: [VendorResult] = []
            for await result in group {
                guard let result else { return nil }
                results.append(result)
            }
            return results.sorted { $0.vendor < $1.vendor }
        }
    }
}
