import Synchronization

/// A thread-safe list that tests append to from concurrent tasks.
public final class Recorded<Element: Sendable>: Sendable {
    private let elements = Mutex<[Element]>([])

    public init() {}

    public func append(_ element: Element) {
        elements.withLock { $0.append(element) }
    }

    public var values: [Element] { elements.withLock { $0 } }
}
