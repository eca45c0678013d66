/// Fans one request out to the lanes of the vendors it targets and gathers their results.
public struct RequestProcessor: Sendable {
    private let lanes: [VendorID: VendorLane]
    private let adapters: [VendorID: any VendorAdapter]

    public init(lanes: [VendorLane], adapters: [any VendorAdapter]) {
        self.lanes = Dictionary(uniqueKeysWithValues: lanes.map { ($0.vendor, $0) })
        self.adapters = Dictionary(uniqueKeysWithValues: adapters.map { ($0.vendor, $0) })
    }

    /// The configured vendors, in a stable order.
    public var configuredVendors: [VendorID] { adapters.keys.sorted() }

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
                guard let adapter = adapters[vendor], let lane = lanes[vendor] else {
                    group.addTask {
                        VendorResult(
                            vendor: vendor,
                            status: .failed,
                            error: "vendor is not configured on this deployment"
                        )
                    }
                    continue
                }
                let items = adapter.items(for: request)
                group.addTask {
                    guard !items.isEmpty else { return VendorResult(vendor: vendor, status: .skipped) }
                    return await lane.erase(items)
                }
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
