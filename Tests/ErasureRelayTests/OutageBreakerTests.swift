import Testing

@testable import ErasureRelay

@Suite("Outage breaker")
struct OutageBreakerTests {
    private let first = LaneRequestID(value: 1)
    private let second = LaneRequestID(value: 2)
    private let third = LaneRequestID(value: 3)

    /// Admits each request in turn.
    private func admit(_ requests: LaneRequestID..., to breaker: inout OutageBreaker) -> [OutageBreaker.Admission] {
        requests.map { breaker.admit($0) }
    }

    @Test func aClosedBreakerLetsEveryRequestCall() {
        var breaker = OutageBreaker()
        #expect(admit(first, second, to: &breaker) == [.call, .call])
        #expect(!breaker.isOpen)
    }

    @Test func onceOpenOneRequestProbesAndTheOthersAreRefusedWithTheReason() {
        var breaker = OutageBreaker()
        let opened = breaker.retriesExhausted(reason: "HTTP 503")
        let openedAgain = breaker.retriesExhausted(reason: "timeout")
        #expect(opened)
        #expect(!openedAgain, "an open breaker does not open again")
        #expect(admit(first, second, to: &breaker) == [.probe, .refuse(reason: "HTTP 503")])
    }

    @Test func whenTheProbeEndsWithoutAnAnswerTheNextRequestProbes() {
        var breaker = OutageBreaker()
        _ = breaker.retriesExhausted(reason: "timeout")
        #expect(admit(first, to: &breaker) == [.probe])
        breaker.requestEnded(second)
        #expect(admit(third, to: &breaker) == [.refuse(reason: "timeout")], "only the probe's end frees the probe")
        breaker.requestEnded(first)
        #expect(admit(third, to: &breaker) == [.probe])
    }

    @Test func aRealAnswerClosesTheBreaker() {
        var breaker = OutageBreaker()
        let closedWhileClosed = breaker.vendorAnswered()
        #expect(!closedWhileClosed, "closing a closed breaker changes nothing")
        _ = breaker.retriesExhausted(reason: "connection failed")
        _ = breaker.admit(first)
        let closed = breaker.vendorAnswered()
        #expect(closed)
        #expect(!breaker.isOpen)
        #expect(admit(second, third, to: &breaker) == [.call, .call])
    }
}
